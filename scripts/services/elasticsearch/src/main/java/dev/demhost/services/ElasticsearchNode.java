package dev.demhost.services;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.mapper.MapperExtrasPlugin;
import org.elasticsearch.reindex.ReindexPlugin;
import org.elasticsearch.join.ParentJoinPlugin;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.search.aggregations.matrix.MatrixAggregationPlugin;
import org.elasticsearch.transport.Netty4Plugin;

/**
 * Runs one real Elasticsearch node inside this JVM, with the modules that are
 * published to Maven Central on its classpath. Usage:
 * ElasticsearchNode HOME HTTP_PORT TRANSPORT_PORT
 */
public final class ElasticsearchNode extends Node {
    private static final Collection<Class<? extends Plugin>> MODULES = List.of(
            Netty4Plugin.class, ReindexPlugin.class, MapperExtrasPlugin.class,
            ParentJoinPlugin.class, MatrixAggregationPlugin.class);

    private ElasticsearchNode(Environment env) {
        super(env, MODULES, true);
    }

    public static void main(String[] args) throws Exception {
        Path home = Paths.get(args[0]).toAbsolutePath();
        String httpPort = args[1];
        String transportPort = args[2];
        Files.createDirectories(home.resolve("config"));
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));
        Files.createDirectories(home.resolve("plugins"));
        Files.createDirectories(home.resolve("modules"));
        Settings settings = Settings.builder()
                .put("path.home", home.toString())
                .put("path.data", home.resolve("data").toString())
                .put("path.logs", home.resolve("logs").toString())
                .put("cluster.name", "demhost-es")
                .put("node.name", "demhost-es-1")
                .put("network.host", "127.0.0.1")
                .put("http.port", httpPort)
                .put("transport.port", transportPort)
                .put("discovery.type", "single-node")
                .put("action.destructive_requires_name", true)
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                .build();
        Environment env = InternalSettingsPreparer.prepareEnvironment(
                settings, Collections.emptyMap(), home.resolve("config"), () -> "demhost-es-1");
        LogConfigurator.configureWithoutConfig(env.settings());
        ElasticsearchNode node = new ElasticsearchNode(env);
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            }
            done.countDown();
        }));
        node.start();
        System.out.println("elasticsearch node started on 127.0.0.1:" + httpPort);
        done.await();
    }
}
