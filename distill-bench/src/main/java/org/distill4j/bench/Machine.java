package org.distill4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.experiment.Environment;

/**
 * What a benchmark ran on, read from {@code /proc} where available: CPU model, processors,
 * memory and load, plus the library versions of {@link Environment#describe()} and the PyTorch
 * intra-op thread setting.
 */
public final class Machine {

    private Machine() {}

    /** Returns name-to-value facts about this machine and process, for the JSON and the docs. */
    public static Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>(Environment.describe());
        m.put("cpu_model", cpuModel());
        m.put("nproc", Integer.toString(Runtime.getRuntime().availableProcessors()));
        m.put("memory_total", procField(Path.of("/proc/meminfo"), "MemTotal"));
        m.put("loadavg", loadAverageLine());
        m.put("pytorch_threads", System.getProperty("ai.djl.pytorch.num_threads", "default"));
        return m;
    }

    /** Returns the first 1-minute load average of {@code /proc/loadavg}, or NaN when unreadable. */
    public static double loadAverage1() {
        String line = loadAverageLine();
        try {
            return Double.parseDouble(line.split("\\s+")[0]);
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Returns the content of {@code /proc/loadavg} (trimmed), or "unknown". */
    public static String loadAverageLine() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /**
     * Returns a {@code Name: value} field of a {@code /proc} file such as {@code /proc/self/status}
     * (e.g. {@code VmRSS} gives "123456 kB"), or "unknown".
     */
    public static String procField(Path file, String name) {
        try {
            for (String line : Files.readAllLines(file)) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or not readable: say so in the value.
        }
        return "unknown";
    }

    /** Returns a {@code /proc/self/status} field in kB ({@code VmRSS}, {@code VmHWM}), or -1. */
    public static long selfStatusKb(String name) {
        String v = procField(Path.of("/proc/self/status"), name);
        try {
            return Long.parseLong(v.replace("kB", "").trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String cpuModel() {
        return procField(Path.of("/proc/cpuinfo"), "model name").replaceAll("\\s+", " ");
    }
}
