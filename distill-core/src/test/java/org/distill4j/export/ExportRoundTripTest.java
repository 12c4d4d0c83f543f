package org.distill4j.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.TextFeatures;
import org.distill4j.io.Hashing;
import org.distill4j.model.Activation;
import org.distill4j.model.BagSpec;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.teacher.TorchScriptTeacher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Exports tiny models of every built-in spec to ONNX and TorchScript and runs the file in plain DJL
 * (OnnxRuntime or PyTorch engine, Noop translator, no distill4j class involved in loading or
 * running): the logits must equal distill4j's to 1e-5.
 */
class ExportRoundTripTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(ExportFormat.class)
    void mlpWithGeluAndDropout(ExportFormat format) throws Exception {
        roundTrip(format, new MlpSpec(List.of(7, 5), Activation.GELU, 0.3), new long[] {6}, 3, null);
    }

    @ParameterizedTest
    @EnumSource(ExportFormat.class)
    void linearMlpOverAnImage(ExportFormat format) throws Exception {
        roundTrip(format, new MlpSpec(List.of(), null, 0), new long[] {1, 4, 4}, 4, null);
    }

    @ParameterizedTest
    @EnumSource(ExportFormat.class)
    void cnnWithBatchNormTanhAndPooling(ExportFormat format) throws Exception {
        roundTrip(
                format,
                new CnnSpec(List.of(3, 4), 3, 2, List.of(6), Activation.TANH, 0.2, true),
                new long[] {2, 8, 8},
                3,
                null);
    }

    @ParameterizedTest
    @EnumSource(ExportFormat.class)
    void cnnWithSigmoidKernelFiveAndNoPooling(ExportFormat format) throws Exception {
        roundTrip(
                format,
                new CnnSpec(List.of(2), 5, 1, List.of(), Activation.SIGMOID, 0, false),
                new long[] {1, 5, 5},
                2,
                null);
    }

    @ParameterizedTest
    @EnumSource(ExportFormat.class)
    void bagOfNgramsWithHiddenLayerAndPadding(ExportFormat format) throws Exception {
        TextFeatures tf = TextFeatures.of(12, 2, null, null, null);
        Path dir = ExportTestModels.save(
                tmp.resolve("bag"), new BagSpec(50, 4, List.of(5), Activation.RELU, 0.1), new long[] {12}, 3, tf, 7);
        // Real featurised rows: ids up to 2^24 (beyond the 50 buckets), padding, and one empty text.
        String[] texts = {
            "the cat sat on the mat",
            "c++ and python3 2.0",
            "",
            "a long text with many many words in " + "it so that the row is cut at twelve ids"
        };
        float[] x = new float[texts.length * 12];
        for (int i = 0; i < texts.length; i++) {
            tf.featurize(texts[i], x, i * 12);
        }
        assertThat(x).contains(0f);
        compare(format, dir, x, new Shape(texts.length, 12));
    }

    @Test
    void sidecarDescribesInputOutputClassesAndFeaturisation() throws Exception {
        TextFeatures tf = TextFeatures.of(16, 3, 2, 4, false);
        Path dir = ExportTestModels.save(
                tmp.resolve("bag"), BagSpec.of(64, 3, null, null, null), new long[] {16}, 2, tf, 3);
        ModelExport.Result r = ModelExport.export(dir, ExportFormat.ONNX, tmp.resolve("out/clf.onnx"));
        assertThat(r.sidecar()).isEqualTo(tmp.resolve("out/clf.export.json").toAbsolutePath());
        JsonNode d = new ObjectMapper().readTree(r.sidecar().toFile());
        assertThat(d.get("sha256").asText()).isEqualTo(Hashing.sha256(r.file()));
        assertThat(d.get("input").get("shape").toString()).isEqualTo("[\"batch\",16]");
        assertThat(d.get("output").get("shape").toString()).isEqualTo("[\"batch\",2]");
        assertThat(d.get("class_names").toString()).isEqualTo("[\"c0\",\"c1\"]");
        JsonNode f = d.get("featurisation");
        assertThat(f.get("max_features").asInt()).isEqualTo(16);
        assertThat(f.get("word_ngrams").asInt()).isEqualTo(3);
        assertThat(f.get("char_ngram_min").asInt()).isEqualTo(2);
        assertThat(f.get("char_ngram_max").asInt()).isEqualTo(4);
        assertThat(f.get("lowercase").asBoolean()).isFalse();
    }

    @Test
    void aDenseModelHasNoFeaturisation() throws Exception {
        Path dir =
                ExportTestModels.save(tmp.resolve("mlp"), new MlpSpec(List.of(3), null, 0), new long[] {4}, 2, null, 1);
        ModelExport.Result r =
                ModelExport.export(dir, ExportFormat.ONNX, ModelExport.defaultOutput(dir, ExportFormat.ONNX));
        assertThat(r.file()).hasFileName("model.onnx");
        assertThat(new ObjectMapper().readTree(r.sidecar().toFile()).has("featurisation"))
                .isFalse();
        // The export sits next to the model without touching its descriptor.
        assertThat(Files.readString(dir.resolve("model.json"))).contains("distill4j-model");
    }

    @Test
    void anExportedTorchScriptFileTeachesAndIsByteForByteReproducible() throws Exception {
        Path dir = ExportTestModels.save(
                tmp.resolve("m"), new MlpSpec(List.of(6), Activation.TANH, 0), new long[] {4}, 3, null, 8);
        ModelExport.Result a = ModelExport.export(dir, ExportFormat.TORCHSCRIPT, tmp.resolve("a.pt"));
        ModelExport.Result b = ModelExport.export(dir, ExportFormat.TORCHSCRIPT, tmp.resolve("b.pt"));
        assertThat(b.sha256()).isEqualTo(a.sha256());
        float[] x = ExportTestModels.inputs(3, new long[] {4}, 4);
        float[] expected = ExportTestModels.logits(dir, x, new Shape(3, 4));
        try (TorchScriptTeacher t = TorchScriptTeacher.load(a.file());
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            float[] got = t.logits(manager.create(x, new Shape(3, 4))).toFloatArray();
            for (int i = 0; i < got.length; i++) {
                assertThat(Math.abs(got[i] - expected[i])).isLessThanOrEqualTo(1e-5f);
            }
        }
    }

    @Test
    void aMissingModelDirectoryIsNamed() {
        Path missing = tmp.resolve("nope");
        assertThatThrownBy(() -> ModelExport.export(missing, ExportFormat.ONNX, tmp.resolve("x.onnx")))
                .hasMessageContaining(missing.toString());
        assertThat(tmp.resolve("x.onnx")).doesNotExist();
    }

    private void roundTrip(ExportFormat format, ModelSpec spec, long[] featureShape, int classes, TextFeatures tf)
            throws Exception {
        Path dir = ExportTestModels.save(tmp.resolve("model"), spec, featureShape, classes, tf, 42);
        long[] dims = new long[featureShape.length + 1];
        dims[0] = 5;
        System.arraycopy(featureShape, 0, dims, 1, featureShape.length);
        compare(format, dir, ExportTestModels.inputs(5, featureShape, 9), new Shape(dims));
    }

    private void compare(ExportFormat format, Path dir, float[] x, Shape shape) throws Exception {
        Path file = ModelExport.export(dir, format, tmp.resolve("export/model." + format.extension()))
                .file();
        float[] expected = ExportTestModels.logits(dir, x, shape);
        float[] actual = PlainDjl.run(file, format == ExportFormat.ONNX ? "OnnxRuntime" : "PyTorch", x, shape);
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(Math.abs(actual[i] - expected[i]))
                    .as("logit %d: onnx %s vs distill4j %s", i, actual[i], expected[i])
                    .isLessThanOrEqualTo(1e-5f);
        }
        // Not trivially equal: the logits vary.
        assertThat(expected[0]).isNotEqualTo(expected[1]);
    }

    /** Plain DJL, as a user without distill4j would write it. */
    static final class PlainDjl {
        static float[] run(Path file, String engine, float[] x, Shape shape) throws Exception {
            Criteria<NDList, NDList> criteria = Criteria.builder()
                    .setTypes(NDList.class, NDList.class)
                    .optModelPath(file)
                    .optEngine(engine)
                    .optTranslator(new NoopTranslator())
                    .build();
            try (ZooModel<NDList, NDList> model = criteria.loadModel();
                    Predictor<NDList, NDList> predictor = model.newPredictor();
                    NDManager manager = NDManager.newBaseManager(engine)) {
                NDList out = predictor.predict(new NDList(manager.create(x, shape)));
                assertThat(out.head().getShape())
                        .isEqualTo(new Shape(shape.get(0), out.head().getShape().get(1)));
                return out.head().toFloatArray();
            }
        }
    }
}
