import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.distill4j.model.ConvolutionCheck;
import org.distill4j.model.OneDnnIsa;

/**
 * ConvolutionCheck for any channel lists: a small CNN's logits and first-convolution gradient,
 * float32 against float64, as relative errors (docs/engine.md). Each shape is checked REPEATS
 * times in this JVM, to show whether a wrong result repeats.
 *
 * <p>Run: {@code ONEDNN_MAX_CPU_ISA=ALL|AVX2|SSE41 OPT_OUT_TRACKING=true java -Dai.djl.offline=true
 * -Dai.djl.pytorch.num_threads=2 -cp distill-cli/target/distill.jar tools/profile/ConvolutionShapes.java
 * SIZE REPEATS CHANNELS...} (e.g. 8 3 4,8 20,16 32,64).
 */
public class ConvolutionShapes {
    public static void main(String[] a) {
        int size = Integer.parseInt(a[0]);
        int repeats = Integer.parseInt(a[1]);
        for (String spec : Arrays.copyOfRange(a, 2, a.length)) {
            List<Integer> channels = Arrays.stream(spec.split(",")).map(Integer::valueOf).toList();
            StringBuilder line = new StringBuilder(String.format(
                    Locale.ROOT, "%s=%s size %d %s:", OneDnnIsa.ENV, OneDnnIsa.cap(), size, channels));
            for (int r = 0; r < repeats; r++) {
                ConvolutionCheck.Result c = ConvolutionCheck.check(channels, size);
                line.append(String.format(Locale.ROOT, " logits %.1e gradient %.1e;", c.logitsError(), c.gradientError()));
            }
            System.out.println(line);
        }
    }
}
