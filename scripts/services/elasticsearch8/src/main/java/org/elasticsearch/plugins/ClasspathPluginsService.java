package org.elasticsearch.plugins;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.elasticsearch.Build;
import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;

/**
 * The plugins of a node given as classes on the classpath, as the server's
 * own test framework does (MockPluginsService), rather than as bundles under
 * modules/ and plugins/. It lives in this package for LoadedPlugin and
 * loadPlugin, which are package-private.
 */
public class ClasspathPluginsService extends PluginsService {
    private final List<LoadedPlugin> loaded;
    private final PluginsAndModules info;

    public ClasspathPluginsService(Settings settings, Environment env, Collection<Class<? extends Plugin>> classes) {
        super(settings, env.configDir(), emptyLoader());
        List<LoadedPlugin> plugins = new ArrayList<>();
        List<PluginRuntimeInfo> infos = new ArrayList<>();
        for (Class<? extends Plugin> c : classes) {
            Plugin p = loadPlugin(c, settings, env.configDir());
            PluginDescriptor d = new PluginDescriptor(c.getName(), "classpath plugin", "NA", Build.current().version(),
                    Integer.toString(Runtime.version().feature()), c.getName(), null, List.of(), false, false, false, false);
            plugins.add(new LoadedPlugin(d, p, c.getClassLoader()));
            infos.add(new PluginRuntimeInfo(d));
        }
        loadExtensions(plugins);
        this.loaded = List.copyOf(plugins);
        this.info = new PluginsAndModules(infos, List.of());
    }

    /**
     * A loader of no bundles. Its public factory wants the server as a named
     * module, which it is not on a classpath.
     */
    public static PluginsLoader emptyLoader() {
        return new PluginsLoader(Set.of(), Set.of(), Map.of());
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return loaded;
    }

    @Override
    public PluginsAndModules info() {
        return info;
    }
}
