import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.codelibs.opensearch.runner.OpenSearchRunner;

/**
 * One node of a test cluster in its own JVM, so that a test can kill it
 * with SIGKILL and start it again. It is an OpenSearchRunner of one node
 * whose settings come from the arguments, which OpenSearchRunner's own
 * main cannot take (it names every node "Node 1").
 *
 * Arguments: base path, cluster name, then settings as key=value; a key
 * ending in [] is a list, its value split on commas.
 */
public final class ClusterNode {
    public static void main(final String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ClusterNode BASE_PATH CLUSTER_NAME [key=value | key[]=a,b]...");
            System.exit(2);
        }
        final List<String[]> settings = new ArrayList<>();
        String httpPort = null;
        for (final String arg : Arrays.copyOfRange(args, 2, args.length)) {
            final int eq = arg.indexOf('=');
            if (eq <= 0) {
                System.err.println("not a key=value setting: " + arg);
                System.exit(2);
            }
            final String key = arg.substring(0, eq);
            settings.add(new String[] { key, arg.substring(eq + 1) });
            if (key.equals("http.port")) {
                httpPort = arg.substring(eq + 1);
            }
        }
        final OpenSearchRunner runner = new OpenSearchRunner();
        runner.onBuild((index, builder) -> {
            for (final String[] kv : settings) {
                if (kv[0].endsWith("[]")) {
                    builder.putList(kv[0].substring(0, kv[0].length() - 2), kv[1].split(","));
                } else {
                    builder.put(kv[0], kv[1]);
                }
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (final Exception e) {
                System.err.println("close: " + e);
            }
        }));
        final List<String> runnerArgs = new ArrayList<>(
                List.of("-basePath", args[0], "-numOfNode", "1", "-clusterName", args[1], "-printOnFailure"));
        if (httpPort != null) {
            // The runner looks for a free HTTP port from base+1; start it at ours.
            runnerArgs.addAll(List.of("-baseHttpPort", String.valueOf(Integer.parseInt(httpPort) - 1)));
        }
        runner.build(runnerArgs.toArray(new String[0]));
        while (!runner.isClosed()) {
            Thread.sleep(1000);
        }
    }
}
