import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.FeatureShardWriter;
import org.distill4j.data.TextExampleSet;
import org.distill4j.experiment.ExperimentData;
import org.distill4j.recipe.RecipeLoader;

/**
 * An unlabelled transfer set for the text recipe (issue 13.4, docs/accuracy-plan.md): a word-level
 * Markov chain of order 2 fitted on the recipe's training texts generates N new texts (each starts
 * with the first two words of a random training text and runs to that text's length, at most 300
 * words; a pair never seen continues from its last word, and a word never seen restarts), and the
 * training rows (labelled) then the generated ones (unlabelled) are written as feature shards for
 * {@code distill distill RECIPE --from-shards DIR}, featurised as the recipe says. Also writes the
 * generated texts to {@code DIR/generated.jsonl} for reading.
 * Usage: java -cp distill.jar -Drecipe=recipes/debian-sections.yaml -Dn=50922 -Dseed=1
 *     tools/TextTransferSet.java OUT_DIR
 */
public class TextTransferSet {
    public static void main(String[] a) throws Exception {
        Path out = Path.of(a[0]);
        long seed = Long.getLong("seed", 1);
        var recipe = RecipeLoader.load(Path.of(System.getProperty("recipe", "recipes/debian-sections.yaml")),
                List.of("seed=" + seed));
        var data = ExperimentData.load(recipe);
        TextExampleSet train = (TextExampleSet) data.train();
        int n = Integer.getInteger("n", train.size());
        Map<String, List<String>> next2 = new HashMap<>();
        Map<String, List<String>> next1 = new HashMap<>();
        List<String[]> docs = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            String[] w = train.text(i).toLowerCase().trim().split("\\s+");
            docs.add(w);
            for (int j = 2; j < w.length; j++) {
                next2.computeIfAbsent(w[j - 2] + ' ' + w[j - 1], k -> new ArrayList<>()).add(w[j]);
            }
            for (int j = 1; j < w.length; j++) {
                next1.computeIfAbsent(w[j - 1], k -> new ArrayList<>()).add(w[j]);
            }
        }
        Random rng = new Random(seed * 7919 + 13);
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var features = data.textFeatures();
        long[] shape = train.featureShape();
        float[] row = new float[train.featureSize()];
        int[] one = new int[1];
        Files.createDirectories(out);
        try (FeatureShardWriter w = FeatureShardWriter.create(
                        out.resolve("shards"),
                        train.name() + " + " + n + " generated texts",
                        shape,
                        train.classNames(),
                        65_536);
                BufferedWriter jsonl = Files.newBufferedWriter(out.resolve("generated.jsonl"), StandardCharsets.UTF_8)) {
            for (int i = 0; i < train.size(); i++) {
                one[0] = i;
                train.copyFeatures(one, row);
                w.add(train.label(i), row, 0);
            }
            for (int g = 0; g < n; g++) {
                String[] start = docs.get(rng.nextInt(docs.size()));
                int len = Math.min(300, docs.get(rng.nextInt(docs.size())).length);
                List<String> text = new ArrayList<>(List.of(start).subList(0, Math.min(2, start.length)));
                while (text.size() < len) {
                    List<String> options = text.size() >= 2
                            ? next2.get(text.get(text.size() - 2) + ' ' + text.get(text.size() - 1))
                            : null;
                    if (options == null) {
                        options = next1.get(text.get(text.size() - 1));
                    }
                    if (options == null) {
                        String[] d = docs.get(rng.nextInt(docs.size()));
                        text.add(d[0]);
                        continue;
                    }
                    text.add(options.get(rng.nextInt(options.size())));
                }
                String t = String.join(" ", text);
                features.featurize(t, row, 0);
                w.add(ExampleSet.UNLABELED, row, 0);
                jsonl.write("{\"text\": " + json.writeValueAsString(t) + "}\n");
            }
            System.out.println(w.finish());
        }
    }
}
