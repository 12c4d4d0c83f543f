package org.distill4j.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.JsonlTextDataset;
import org.distill4j.data.TextFeatures;
import org.distill4j.model.SavedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Watermark keys over texts ({@link WatermarkKey.Input#NGRAM_IDS}): the bag projection, the sparse
 * direction, the key file, and served outputs of a real fastText-style model of the Debian
 * descriptions (skipped where the data set is absent).
 */
class WatermarkTextTest {

    static final byte[] SECRET =
            HexFormat.of().parseHex("a0b1c2d3e4f5061728394a5b6c7d8e9f00112233445566778899aabbccddeeff");

    @TempDir
    static Path dir;

    @Test
    void theProjectionOfARowIsItsNormalisedBagDottedWithTheDirection() {
        int[] ids = {3, 7, 11, 40};
        double[] v = {0.5, -0.25, 0.75, 0.1};
        // Ids 7 twice, 3 once, 99 (not in the direction) once, then padding: 4 ids in all.
        float[] row = {0, 7, 3, 7, 99, 0, 0, 0};
        Map<Integer, Double> bag = new HashMap<>();
        for (float f : row) {
            if (f != 0) {
                bag.merge((int) f, 1.0 / 4, Double::sum);
            }
        }
        double dense = 0;
        for (int i = 0; i < ids.length; i++) {
            dense += v[i] * bag.getOrDefault(ids[i], 0.0);
        }
        assertThat(NgramBag.project(ids, v, row, 0, row.length))
                .isCloseTo(dense, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(dense).isCloseTo((2 * -0.25 + 0.5) / 4, org.assertj.core.data.Offset.offset(1e-12));
        // Only padding: the zero vector.
        assertThat(NgramBag.project(ids, v, new float[5], 0, 5)).isZero();
        // An offset reads the right row.
        float[] two = new float[16];
        System.arraycopy(row, 0, two, 8, 8);
        assertThat(NgramBag.project(ids, v, two, 8, 8)).isEqualTo(NgramBag.project(ids, v, row, 0, 8));
    }

    @Test
    void aTextKeyHasSparseUnitDirectionsOverItsRowsIdsAndSurvivesItsFile() throws Exception {
        TextFeatures tf = TextFeatures.of(32, 2, null, null, null);
        String[] texts = {
            "a chess game for two players", "shared library for image decoding", "text editor with syntax highlighting",
            "arcade game with retro graphics", "development files for the image library", "vim plugin for python code"
        };
        float[] rows = new float[60 * 32];
        for (int i = 0; i < 60; i++) {
            tf.featurize(texts[i % texts.length] + " number " + i, rows, i * 32);
        }
        WatermarkKey key = WatermarkKey.grouped(SECRET, rows, 32, 3, 0.01, WatermarkKey.Input.NGRAM_IDS);
        assertThat(key.input()).isEqualTo(WatermarkKey.Input.NGRAM_IDS);
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (float f : rows) {
            seen.add((int) f);
        }
        for (int g = 0; g < 3; g++) {
            WatermarkKey.Component c = key.component(g);
            assertThat(c.ids()).isSorted().doesNotHaveDuplicates().hasSameSizeAs(c.direction());
            assertThat(Arrays.stream(c.ids()).allMatch(seen::contains)).isTrue();
            assertThat(Math.sqrt(Arrays.stream(c.direction()).map(x -> x * x).sum()))
                    .isCloseTo(1, org.assertj.core.data.Offset.offset(1e-6));
            assertThat(c.scale()).isPositive();
            // One direction and one frequency for all components (a bag student has a few embedding
            // dimensions, not one per class); targets and phases per component.
            assertThat(c.ids()).isEqualTo(key.component(0).ids());
            assertThat(c.direction()).isEqualTo(key.component(0).direction());
            assertThat(key.frequency(g)).isEqualTo(key.frequency(0));
            assertThat(c.target()).isNotEqualTo(g);
        }
        assertThat(key.phase(1)).isNotEqualTo(key.phase(0));
        // Every class is the target of exactly one group, never its own (10 classes: independent
        // draws would make such a permutation for about 4 keys in 10,000).
        WatermarkKey ten = WatermarkKey.grouped(SECRET, rows, 32, 10, 0.01, WatermarkKey.Input.NGRAM_IDS);
        assertThat(java.util.stream.IntStream.range(0, 10)
                        .map(g -> ten.component(g).target()))
                .containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(java.util.stream.IntStream.range(0, 10)
                        .filter(g -> ten.component(g).target() == g))
                .isEmpty();
        Path file = dir.resolve("text.key");
        key.save(file);
        var stored = new ObjectMapper().readTree(file.toFile());
        assertThat(stored.get("input").asText()).isEqualTo("ngram_ids");
        // The shared direction is stored once.
        assertThat(stored.has("ids")).isTrue();
        assertThat(stored.get("components").get(1).has("direction")).isFalse();
        WatermarkKey loaded = WatermarkKey.load(file);
        assertThat(loaded.input()).isEqualTo(WatermarkKey.Input.NGRAM_IDS);
        float[] logits = new float[60 * 3];
        java.util.Random rng = new java.util.Random(1);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) rng.nextGaussian();
        }
        float[] before = new Watermark(key, 32, 3).logitsBatch(rows, logits);
        assertThat(new Watermark(loaded, 32, 3).logitsBatch(rows, logits)).containsExactly(before);
        assertThat(before).isNotEqualTo(logits);

        // Damaged ids are refused, naming the field, never quoting the content.
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(file.toFile());
        json.put("ids", "%%%");
        Path bad = dir.resolve("bad.key");
        Files.writeString(bad, json.toString());
        assertThatThrownBy(() -> WatermarkKey.load(bad))
                .hasMessageContaining("field ids")
                .hasMessageNotContaining(json.get("secret").asText());
        json = (ObjectNode) new ObjectMapper().readTree(file.toFile());
        json.remove("direction");
        Files.writeString(bad, json.toString());
        assertThatThrownBy(() -> WatermarkKey.load(bad)).hasMessageContaining("components[0]", "no shared direction");
        json = (ObjectNode) new ObjectMapper().readTree(file.toFile());
        json.put("input", "pixels");
        Files.writeString(bad, json.toString());
        assertThatThrownBy(() -> WatermarkKey.load(bad)).hasMessageContaining("field input", "pixels");
    }

    @Test
    void servedTextOutputsCarryTheSignalAtTheIssuesCost() throws Exception {
        Path data = org.distill4j.testutil.SharedData.debianDescriptions();
        assumeTrue(Files.isRegularFile(data.resolve("train.jsonl.gz")), "no Debian descriptions at " + data);
        TextFeatures tf = TextFeatures.defaults();
        JsonlTextDataset ds = JsonlTextDataset.load(data, JsonlTextDataset.Fields.defaults(), tf);
        ExampleSet train = ExampleSets.slice(ds.train(), 0, 10_000);
        int c = train.numClasses();
        int d = train.featureSize();
        float[] probeX = WatermarkEvaluation.concat(
                WatermarkEvaluation.features(ds.test(), ds.test().size()),
                WatermarkEvaluation.features(ds.validation(), ds.validation().size()));
        float[] clean;
        try (SavedModel teacher = WatermarkEvaluation.scratch(
                WatermarkEvaluation.bag(8192, 16, 32), WatermarkEvaluation.config(3, 256, 0.01), 1, train, tf, null)) {
            clean = WatermarkEvaluation.concat(
                    WatermarkLab.logits(teacher, ds.test()), WatermarkLab.logits(teacher, ds.validation()));
        }
        WatermarkKey key = WatermarkKey.grouped(
                SECRET,
                WatermarkEvaluation.features(train, 5000),
                d,
                c,
                WatermarkKey.DEFAULT_AMPLITUDE,
                WatermarkKey.Input.NGRAM_IDS);
        Watermark w = new Watermark(key, d, c);
        // The issue's cost bounds on the test split (top-1 kept on >= 99.5%, mean KL <= 0.01 nats).
        int testRows = ds.test().size();
        Watermark.Utility u = w.measure(Arrays.copyOf(probeX, testRows * d), Arrays.copyOf(clean, testRows * c));
        System.out.println("text utility: " + u);
        assertThat(u.top1Unchanged()).isGreaterThanOrEqualTo(0.995);
        assertThat(u.meanKl()).isLessThanOrEqualTo(0.01).isGreaterThan(0.001);
        assertThat(u.maxKl()).isLessThanOrEqualTo(Math.log(1 + 2 * WatermarkKey.DEFAULT_AMPLITUDE) + 1e-6);

        // What a client gets carries the signal far below 1e-6 over the probes; the clean outputs
        // and another key do not.
        float[] base = WatermarkTest.logSoftmax(clean, c);
        float[] served = WatermarkTest.logSoftmax(w.logitsBatch(probeX, clean), c);
        WatermarkDetector.Detection marked = WatermarkDetector.detect(w, probeX, served, base);
        System.out.println("served " + marked);
        assertThat(marked.components()).isGreaterThanOrEqualTo(10);
        assertThat(marked.pValue()).isLessThan(1e-6);
        // Keys that made none of these outputs: the clean outputs and the served ones under 10 other
        // keys each. Under H0 a p-value is uniform, so 2 or fewer of the 20 fall below 0.01 but one
        // time in a thousand (binomial); the served key's own outputs are far below.
        float[] keyRows = WatermarkEvaluation.features(train, 5000);
        java.util.Random rng = new java.util.Random(7);
        int below = 0;
        for (int k = 0; k < 10; k++) {
            byte[] other = new byte[32];
            rng.nextBytes(other);
            Watermark o = new Watermark(
                    WatermarkKey.grouped(
                            other, keyRows, d, c, WatermarkKey.DEFAULT_AMPLITUDE, WatermarkKey.Input.NGRAM_IDS),
                    d,
                    c);
            double plain = WatermarkDetector.detect(o, probeX, base).pValue();
            double wrong = WatermarkDetector.detect(o, probeX, served, base).pValue();
            below += (plain < 0.01 ? 1 : 0) + (wrong < 0.01 ? 1 : 0);
        }
        assertThat(below).isLessThanOrEqualTo(2);
        assertThat(WatermarkDetector.detect(w, probeX, base).pValue()).isGreaterThan(1e-3);
    }

    /**
     * Does a bag student learn the text watermark, on its own training rows and on fresh texts? A
     * diagnostic for the evaluation (docs/audit.md), off by default (about two minutes); run with
     * {@code -Dwatermark.transfer=true -Dtest=WatermarkTextTest#transferToBagStudents}. Prints the
     * p-values; asserts only that the served outputs carry the signal.
     */
    @Test
    @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "watermark.transfer", matches = "true")
    void transferToBagStudents() throws Exception {
        Path data = org.distill4j.testutil.SharedData.debianDescriptions();
        TextFeatures tf = TextFeatures.defaults();
        JsonlTextDataset ds = JsonlTextDataset.load(data, JsonlTextDataset.Fields.defaults(), tf);
        ExampleSet train = ExampleSets.slice(ds.train(), 0, 25_000);
        ExampleSet transfer = ExampleSets.slice(ds.train(), 25_000, ds.train().size());
        int c = train.numClasses();
        int d = train.featureSize();
        float[] transferX = WatermarkEvaluation.features(transfer, transfer.size());
        float[] testX = WatermarkEvaluation.features(ds.test(), ds.test().size());
        float[] cleanTransfer;
        float[] base;
        float[] baseTransfer;
        try (SavedModel teacher = WatermarkEvaluation.scratch(
                WatermarkEvaluation.bag(32768, 32, 64),
                WatermarkEvaluation.config(6, 256, 0.005),
                1,
                train,
                tf,
                null)) {
            cleanTransfer = WatermarkLab.logits(teacher, transfer);
            base = WatermarkTest.logSoftmax(WatermarkLab.logits(teacher, ds.test()), c);
            baseTransfer = WatermarkTest.logSoftmax(cleanTransfer, c);
        }
        Watermark w = new Watermark(
                WatermarkKey.grouped(
                        SECRET,
                        WatermarkEvaluation.features(train, 5000),
                        d,
                        c,
                        WatermarkKey.DEFAULT_AMPLITUDE,
                        WatermarkKey.Input.NGRAM_IDS),
                d,
                c);
        float[] served = w.logitsBatch(transferX, cleanTransfer);
        System.out.println("served outputs on the transfer rows: "
                + WatermarkDetector.detect(w, transferX, WatermarkTest.logSoftmax(served, c), baseTransfer));
        for (int epochs : new int[] {10, 30}) {
            for (org.distill4j.model.ModelSpec spec :
                    List.of(WatermarkEvaluation.bag(16384, 16, 32), WatermarkEvaluation.bag(32768, 32, 256))) {
                float[] both = WatermarkEvaluation.student(
                                "s",
                                "",
                                true,
                                served,
                                spec,
                                2,
                                WatermarkEvaluation.config(epochs, 256, 0.01),
                                5,
                                tf,
                                transfer,
                                transfer,
                                ds.test())
                        .testLogits();
                int split = transfer.size() * c;
                float[] own = WatermarkTest.logSoftmax(Arrays.copyOf(both, split), c);
                float[] fresh = WatermarkTest.logSoftmax(Arrays.copyOfRange(both, split, both.length), c);
                System.out.println(
                        WatermarkEvaluation.tag(spec) + ", " + epochs + " epochs, T = 2: on its training rows "
                                + WatermarkDetector.detect(w, transferX, own, baseTransfer) + "; on the test split "
                                + WatermarkDetector.detect(w, testX, fresh, base));
            }
        }
        assertThat(WatermarkDetector.detect(w, transferX, WatermarkTest.logSoftmax(served, c), baseTransfer)
                        .pValue())
                .isLessThan(1e-6);
    }

    @Test
    void aKeyForOneKindOfInputIsNotMistakenForTheOther() {
        float[] dense = new float[40 * 8];
        java.util.Random rng = new java.util.Random(2);
        for (int i = 0; i < dense.length; i++) {
            dense[i] = rng.nextFloat();
        }
        assertThat(WatermarkKey.grouped(SECRET, dense, 8, 3, 0.01).input()).isEqualTo(WatermarkKey.Input.DENSE);
        assertThat(List.of(WatermarkKey.Input.values()))
                .extracting(WatermarkKey.Input::fileName)
                .containsExactly("dense", "ngram_ids");
    }
}
