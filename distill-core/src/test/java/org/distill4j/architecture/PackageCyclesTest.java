package org.distill4j.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * The core's packages form no cycle (docs/architecture.md draws the layering): the JDK's {@code
 * jdeps} reads the compiled classes, and every strongly connected component of the package graph
 * must be a single package.
 */
class PackageCyclesTest {

    private static final Pattern EDGE = Pattern.compile("^\\s*(org\\.distill4j\\S*)\\s+->\\s+(org\\.distill4j\\S*)");

    static Map<String, Set<String>> packageGraph() {
        Path classes = Path.of("target", "classes");
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        StringWriter out = new StringWriter();
        int rc = jdeps.run(
                new PrintWriter(out),
                new PrintWriter(out),
                "-verbose:package",
                "-filter:none",
                "-e",
                "org\\.distill4j.*",
                classes.toString());
        assertThat(rc).as(out.toString()).isZero();
        Map<String, Set<String>> g = new TreeMap<>();
        for (String line : out.toString().split("\n")) {
            Matcher m = EDGE.matcher(line);
            if (m.find() && !m.group(1).equals(m.group(2))) {
                g.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
            }
        }
        return g;
    }

    @Test
    void theCorePackagesFormNoCycle() {
        Map<String, Set<String>> g = packageGraph();
        assertThat(g).containsKeys("org.distill4j.train", "org.distill4j.eval", "org.distill4j.teacher");
        assertThat(g.get("org.distill4j.eval")).contains("org.distill4j.teacher");
        assertThat(cycles(g)).isEmpty();
    }

    @Test
    void aCycleIsFound() {
        Map<String, Set<String>> g = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"), "d", Set.of("a"));
        assertThat(cycles(g)).containsExactly(Set.of("a", "b", "c"));
    }

    /** Tarjan's strongly connected components with more than one package. */
    static List<Set<String>> cycles(Map<String, Set<String>> g) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new HashSet<>();
        List<Set<String>> out = new ArrayList<>();
        int[] counter = {0};
        for (String v : new TreeSet<>(g.keySet())) {
            if (!index.containsKey(v)) {
                connect(v, g, index, low, stack, onStack, out, counter);
            }
        }
        return out;
    }

    private static void connect(
            String v,
            Map<String, Set<String>> g,
            Map<String, Integer> index,
            Map<String, Integer> low,
            Deque<String> stack,
            Set<String> onStack,
            List<Set<String>> out,
            int[] counter) {
        index.put(v, counter[0]);
        low.put(v, counter[0]++);
        stack.push(v);
        onStack.add(v);
        for (String w : g.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, g, index, low, stack, onStack, out, counter);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) {
                out.add(component);
            }
        }
    }
}
