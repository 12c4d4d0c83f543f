package org.distill4j.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Convolution;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The instruction-set cap of PyTorch's oneDNN kernels ({@code ONEDNN_MAX_CPU_ISA}), and the
 * warning for a model whose convolution channel counts make oneDNN pad them.
 *
 * <p>Why: with PyTorch 2.7.1 (oneDNN 3.7.1) on this project's AVX-512 VM, the blocked
 * convolution kernels gave wrong results, against a float64 reference (which oneDNN does not
 * compute), for a convolution after the first whose channel counts are not multiples of the
 * kernel's block (16 for AVX-512, 8 for AVX2): logits off by 15-28% by default for channels [20,
 * 16] and [24, 16] (repeatably), gradients wrong, varying from run to run and NaN in up to a
 * quarter of runs for [4, 8], [12, 24], [20, 16] and [24, 16]; capped at AVX2 other padded shapes
 * failed. Capped at SSE4.1 every shape measured equalled the reference, at about twice the step
 * time of a [32, 64] CNN; shapes whose channels are all multiples of 16 (the recipes' [32, 64],
 * [16, 32]) were right under every cap (docs/engine.md, {@link ConvolutionCheck}). The cap is read
 * once, when oneDNN starts, from the environment, so it cannot be set from Java; the test suite
 * runs with {@value #SAFE}.
 */
public final class OneDnnIsa {

    /** The environment variable oneDNN reads its cap from. */
    public static final String ENV = "ONEDNN_MAX_CPU_ISA";

    /** The cap under which every measured shape was right (slower: no AVX kernels). */
    public static final String SAFE = "SSE41";

    /** Channel counts that are multiples of this were right under every cap. */
    public static final int CHANNEL_MULTIPLE = 16;

    /** oneDNN's older name for the same variable, still honoured by oneDNN 3.x. */
    private static final String LEGACY_ENV = "DNNL_MAX_CPU_ISA";

    private static final Logger LOG = LoggerFactory.getLogger(OneDnnIsa.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private OneDnnIsa() {}

    /**
     * Returns the cap in force in this process: the value of {@value #ENV} (or {@code
     * DNNL_MAX_CPU_ISA}), upper-cased, or {@code ALL} (oneDNN's default) when neither is set. It
     * changes results (other kernels sum in another order), so provenance records it.
     */
    public static String cap() {
        return cap(System.getenv());
    }

    static String cap(Map<String, String> env) {
        for (String name : List.of(ENV, LEGACY_ENV)) {
            String v = env.get(name);
            if (v != null && !v.isBlank()) {
                return v.trim().toUpperCase(Locale.ROOT);
            }
        }
        return "ALL";
    }

    /**
     * Returns the warning for training {@code padded} (descriptions of the convolutions whose
     * channels oneDNN pads) under {@code cap} on a CPU with ({@code avx2}) or without AVX2, or
     * empty when nothing is padded, the CPU has no AVX2 (so oneDNN runs its SSE4.1 kernels), or
     * the cap is SSE4.1 or below.
     */
    static Optional<String> convolutionWarning(List<String> padded, String cap, boolean avx2) {
        boolean capped = cap.startsWith("SSE");
        if (padded.isEmpty() || !avx2 || capped) {
            return Optional.empty();
        }
        return Optional.of("a model with " + String.join(", ", padded) + " under " + ENV + "=" + cap
                + ": PyTorch 2.7.1's oneDNN convolutions gave wrong logits and gradients (some varying, some NaN) "
                + "for convolutions after the first whose channels are not multiples of " + CHANNEL_MULTIPLE
                + " (docs/engine.md). Use channel counts that are multiples of " + CHANNEL_MULTIPLE + ", or set "
                + ENV + "=" + SAFE + " in the environment before the JVM starts (about 2x slower to train); "
                + "'distill bench stress' checks this machine");
    }

    /** Whether a {@code /proc/cpuinfo} text lists {@code flag} (e.g. {@code avx2}). */
    static boolean hasFlag(Stream<String> cpuinfo, String flag) {
        return cpuinfo.filter(l -> l.startsWith("flags"))
                .findFirst()
                .map(l -> List.of(l.substring(l.indexOf(':') + 1).trim().split("\\s+"))
                        .contains(flag))
                .orElse(false);
    }

    /** Whether this machine's CPU has AVX2, read once (the CPU does not change under a process). */
    private static final class Cpu {
        static final boolean AVX2 = readAvx2();
    }

    /** Whether this machine's CPU has AVX2 (Linux); false where it cannot tell. */
    private static boolean readAvx2() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return false;
        }
        try (Stream<String> lines = Files.lines(cpuinfo)) {
            return hasFlag(lines, "avx2");
        } catch (IOException | java.io.UncheckedIOException e) {
            return false;
        }
    }

    /**
     * Describes the convolutions of an initialised {@code block}, after the first, with a kernel
     * larger than 1 x 1 and one group, whose output or input channels are not multiples of
     * {@value #CHANNEL_MULTIPLE}. The first is left out: a lone convolution with 4, 12, 20 or 24
     * output channels gave right logits and weight gradients by default and at AVX2 ({@link
     * ConvolutionCheck}) (what goes
     * wrong is a convolution reading a padded input, or the gradient of that input); so are
     * depthwise and 1 x 1 convolutions, which run other kernels and were right in every measured
     * shape (separable [4, 8], [12, 24], [16, 32, 64]).
     */
    public static List<String> paddedConvolutions(Block block) {
        List<Convolution> convolutions = new ArrayList<>();
        collect(block, convolutions);
        List<String> padded = new ArrayList<>();
        for (int i = 1; i < convolutions.size(); i++) {
            Convolution c = convolutions.get(i);
            Shape weight = c.getParameters().get("weight").getShape();
            if (weight == null) {
                continue;
            }
            long out = weight.get(0);
            long in = weight.get(1);
            boolean pointwise = weight.size() == out * in;
            if (c.getGroups() == 1 && !pointwise && (out % CHANNEL_MULTIPLE != 0 || in % CHANNEL_MULTIPLE != 0)) {
                padded.add("convolution " + (i + 1) + " (" + in + " -> " + out + " channels)");
            }
        }
        return padded;
    }

    private static void collect(Block block, List<Convolution> into) {
        if (block instanceof Convolution c) {
            into.add(c);
        }
        block.getChildren().values().forEach(child -> collect(child, into));
    }

    /**
     * Logs {@link #convolutionWarning} once per process (at WARN) when an initialised {@code
     * block} holds padded convolutions and this process is exposed; called when a model is trained
     * or loaded, which go on either way.
     *
     * @return whether the warning applies (logged now or before)
     */
    public static boolean warnIfExposed(Block block) {
        List<String> padded = paddedConvolutions(block);
        if (padded.isEmpty()) {
            // Most models: no need to read the CPU's flags or the environment.
            return false;
        }
        Optional<String> warning = convolutionWarning(padded, cap(), Cpu.AVX2);
        if (warning.isPresent() && WARNED.compareAndSet(false, true)) {
            LOG.warn(warning.get());
        }
        return warning.isPresent();
    }
}
