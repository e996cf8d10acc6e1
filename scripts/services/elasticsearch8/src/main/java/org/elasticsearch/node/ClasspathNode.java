package org.elasticsearch.node;

import java.util.Collection;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

/**
 * A node whose plugins are classes on the classpath. It lives in this
 * package for NodeConstruction and NodeServiceProvider, which are
 * package-private: the server's test framework (MockNode) builds its nodes
 * the same way.
 */
public class ClasspathNode extends Node {
    public ClasspathNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
        super(NodeConstruction.prepareConstruction(env, ClasspathPluginsService.emptyLoader(),
                new NodeServiceProvider() {
                    @Override
                    PluginsService newPluginService(Environment e, PluginsLoader loader) {
                        return new ClasspathPluginsService(e.settings(), e, plugins);
                    }
                }, true));
    }
}
