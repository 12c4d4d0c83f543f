import java.io.ByteArrayOutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.corpus.WindowShare;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.experiment.LmTrainingCorpus;

/**
 * What a provider's request log holds after a distiller asked it for the top-k of a share of their
 * transfer windows (distillation.teacher_share, top-k over HTTP): the prompts of those requests, as
 * JSON Lines of {"text": ...} that `distill audit --data` reads. Rebuilt from the recipe: the same
 * corpus, split and WindowShare(share, seed) the run drew, in window order; each window's byte
 * tokens (the served prompt) become one text per document piece (BOS/EOS split it; bytes are
 * decoded as UTF-8, invalid ones replaced). Byte-level recipes only. The prompts were written by the
 * distiller, not chosen by the key, so they are valid probes for the residual test.
 * Usage: java -cp distill.jar tools/LmServedPrompts.java RECIPE OUT.jsonl SHARE SEED [KEY=VALUE ...]
 */
public class LmServedPrompts {
    public static void main(String[] a) throws Exception {
        List<String> overrides = new ArrayList<>(List.of(a).subList(4, a.length));
        LmRecipe recipe = LmRecipe.load(Path.of(a[0]), overrides);
        TokenWindows windows = LmTrainingCorpus.read(recipe).train();
        BitSet served = new WindowShare(Double.parseDouble(a[2]), Long.parseLong(a[3])).select(windows.size());
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        int t = windows.contextLength();
        long pieces = 0;
        try (Writer out = Files.newBufferedWriter(Path.of(a[1]), StandardCharsets.UTF_8)) {
            for (int w = served.nextSetBit(0); w >= 0; w = served.nextSetBit(w + 1)) {
                long from = (long) w * t;
                // The request's prompt: the window and the token after it.
                int[] ids = windows.slice(from, (int) Math.min(t + 1, windows.targetTokens() + 1 - from));
                ByteArrayOutputStream piece = new ByteArrayOutputStream();
                for (int i = 0; i <= ids.length; i++) {
                    if (i == ids.length || ids[i] > 255) {
                        if (piece.size() > 1) {
                            String text = piece.toString(StandardCharsets.UTF_8);
                            out.write(json.writeValueAsString(java.util.Map.of("text", text)) + "\n");
                            pieces++;
                        }
                        piece.reset();
                    } else {
                        piece.write(ids[i]);
                    }
                }
            }
        }
        System.out.printf("%d served windows of %d, %d prompt pieces -> %s%n", served.cardinality(), windows.size(), pieces, a[1]);
    }
}
