import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.FeatureShardWriter;
import org.distill4j.data.TextExampleSet;
import org.distill4j.experiment.ExperimentData;
import org.distill4j.lm.corpus.SplitOverlap;
import org.distill4j.recipe.RecipeLoader;

/**
 * A transfer set of real, unlabelled text for the Debian sections recipe (issue 13.4,
 * docs/accuracy-plan.md): the descriptions of another Debian suite's packages that the data set
 * does not have. From an apt {@code Translation-en} index (decompressed), a description is kept
 * when its package name is in none of the data set's splits, its text is no data set text, and it
 * has no near duplicate among the validation and test texts ({@code SplitOverlap}'s rule), so
 * that neither the teacher's labels nor the texts can carry a held-out row into training. The
 * recipe's training rows (labelled) and then the kept texts (unlabelled) are written as feature
 * shards for {@code distill distill RECIPE --from-shards OUT/shards}, and the kept texts to {@code
 * OUT/transfer.jsonl}.
 *
 * <pre>
 * apt-get -o Dir::Etc::sourcelist=LIST -o Dir::Etc::sourceparts=- -o Dir::State::Lists=DIR \
 *     -o Acquire::Languages=en update        # LIST: "deb http://deb.debian.org/debian trixie main"
 * lz4 -dc DIR/*_i18n_Translation-en.lz4 > translation-en
 * java -cp distill.jar -Drecipe=recipes/debian-sections.yaml [-Dlimit=N] tools/TextSuiteTransfer.java translation-en OUT
 * </pre>
 *
 * {@code -Dlimit=N} keeps the first N kept texts at most; {@code -Dlimit=0} writes the training
 * rows alone through the same shard path, the control a shard-trained student is compared with.
 */
public class TextSuiteTransfer {
    public static void main(String[] a) throws Exception {
        Path translation = Path.of(a[0]);
        Path out = Path.of(a[1]);
        Path recipeFile = Path.of(System.getProperty("recipe", "recipes/debian-sections.yaml"));
        var recipe = RecipeLoader.load(recipeFile, List.of());
        var data = ExperimentData.load(recipe);
        TextExampleSet train = (TextExampleSet) data.train();
        TextExampleSet validation = (TextExampleSet) data.validation();
        TextExampleSet test = (TextExampleSet) data.test();

        Set<String> ids = new HashSet<>();
        Set<String> texts = new HashSet<>();
        for (TextExampleSet s : List.of(train, validation, test)) {
            for (int i = 0; i < s.size(); i++) {
                ids.add(s.id(i));
                texts.add(s.text(i));
            }
        }

        Map<String, String> descriptions = parse(translation);
        int known = 0;
        int sameText = 0;
        List<String> candidates = new ArrayList<>();
        for (Map.Entry<String, String> e : descriptions.entrySet()) {
            if (ids.contains(e.getKey())) {
                known++;
            } else if (texts.contains(e.getValue())) {
                sameText++;
            } else {
                candidates.add(e.getValue());
            }
        }
        SplitOverlap check = SplitOverlap.of(candidates);
        for (TextExampleSet s : List.of(validation, test)) {
            for (int i = 0; i < s.size(); i++) {
                check.accept(s.text(i));
            }
        }
        int[] keep = check.withoutNearDuplicate();
        // -Dlimit=0 writes the training rows alone, through the same shard path: the control.
        keep = java.util.Arrays.copyOf(keep, Math.min(keep.length, Integer.getInteger("limit", keep.length)));
        System.out.printf(
                "%d descriptions: %d of packages in the data set, %d with a data set text, %d new; %d of those "
                        + "checked, %d with a near duplicate among the validation and test texts; %d kept%n",
                descriptions.size(),
                known,
                sameText,
                candidates.size(),
                check.result().checked(),
                check.result().nearDuplicates(),
                keep.length);

        var features = data.textFeatures();
        float[] row = new float[train.featureSize()];
        int[] one = new int[1];
        Files.createDirectories(out);
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        try (FeatureShardWriter w = FeatureShardWriter.create(
                        out.resolve("shards"),
                        train.name() + " + " + keep.length + " unlabelled descriptions of " + translation.getFileName(),
                        train.featureShape(),
                        train.classNames(),
                        65_536);
                BufferedWriter jsonl = Files.newBufferedWriter(out.resolve("transfer.jsonl"), StandardCharsets.UTF_8)) {
            for (int i = 0; i < train.size(); i++) {
                one[0] = i;
                train.copyFeatures(one, row);
                w.add(train.label(i), row, 0);
            }
            for (int k : keep) {
                String t = candidates.get(k);
                features.featurize(t, row, 0);
                w.add(ExampleSet.UNLABELED, row, 0);
                jsonl.write("{\"text\": " + json.writeValueAsString(t) + "}\n");
            }
            System.out.println(w.finish());
        }
    }

    /**
     * Package name to description, as the data set writes one: the short line, then the long
     * description's lines without their leading space, paragraph separators (" .") dropped.
     */
    static Map<String, String> parse(Path file) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        String pkg = null;
        StringBuilder text = null;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.startsWith("Package: ")) {
                pkg = line.substring(9).trim();
            } else if (line.startsWith("Description-en: ")) {
                text = new StringBuilder(line.substring(16).trim());
            } else if (line.startsWith(" ") && text != null) {
                String l = line.substring(1);
                if (!l.equals(".")) {
                    text.append('\n').append(l);
                }
            } else if (line.isEmpty() && pkg != null && text != null) {
                out.putIfAbsent(pkg, text.toString());
                pkg = null;
                text = null;
            }
        }
        if (pkg != null && text != null) {
            out.putIfAbsent(pkg, text.toString());
        }
        return out;
    }
}
