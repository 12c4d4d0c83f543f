package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.experiment.LmTrainingCorpus;
import org.distill4j.lm.token.BpeTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code distill tokenizer train|encode} on the bundled Debian descriptions. */
class TokenizerCommandTest {

    @TempDir
    Path tmp;

    private Path recipe(String tokenizer) throws Exception {
        Path corpus = Path.of("").toAbsolutePath();
        while (corpus != null && !Files.isDirectory(corpus.resolve("distill-core"))) {
            corpus = corpus.getParent();
        }
        Path train = corpus == null
                ? Path.of("missing")
                : corpus.resolve("../shared/data/debian-descriptions/train.jsonl.gz")
                        .normalize();
        assumeTrue(Files.isRegularFile(train), "no Debian descriptions");
        Path f = tmp.resolve("lm.yaml");
        Files.writeString(f, """
                name: tok
                data: {format: text, path: %s, max_bytes: 40000, context: 32%s}
                teacher: {layers: 1, width: 16, heads: 2, training: {steps: 1}}
                student: {layers: 1, width: 16, heads: 2, training: {steps: 1}}
                """.formatted(train, tokenizer));
        return f;
    }

    @Test
    void trainWritesTheTokenizerARunWouldTrainAndEncodeShowsIt() throws Exception {
        Path recipe = recipe(", tokenizer: {type: bpe, vocab_size: 300}");
        Path out = tmp.resolve("tokenizer.json");
        CliTest.Run run = CliTest.distill("tokenizer", "train", recipe.toString(), "--out", out.toString());
        assertThat(run.code()).as(run.err()).isZero();
        BpeTokenizer written = BpeTokenizer.read(out);
        LmRecipe r = LmRecipe.load(recipe, List.of());
        assertThat(written.identity())
                .isEqualTo(LmTrainingCorpus.read(r).tokenizer().identity());
        assertThat(run.out())
                .contains("wrote " + out)
                .contains(written.identity().toString());

        CliTest.Run enc = CliTest.distill("tokenizer", "encode", out.toString(), "the library\n");
        assertThat(enc.code()).as(enc.err()).isZero();
        int[] ids = written.encode("the library\n");
        assertThat(enc.out())
                .contains(ids.length + " tokens, 12 bytes")
                .contains(ids[0] + "\t")
                .contains("\\n");

        // --vocab-size on a byte recipe; no size at all is refused by field.
        Path plain = recipe("");
        CliTest.Run sized = CliTest.distill(
                "tokenizer",
                "train",
                plain.toString(),
                "--vocab-size",
                "280",
                "--out",
                tmp.resolve("t2.json").toString());
        assertThat(sized.code()).as(sized.err()).isZero();
        assertThat(BpeTokenizer.read(tmp.resolve("t2.json")).vocabSize()).isEqualTo(280);
        CliTest.Run none = CliTest.distill(
                "tokenizer",
                "train",
                plain.toString(),
                "--out",
                tmp.resolve("t3.json").toString());
        assertThat(none.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(none.err()).contains("data.tokenizer.vocab_size");
        assertThat(tmp.resolve("t3.json")).doesNotExist();
        CliTest.Run bad =
                CliTest.distill("tokenizer", "encode", tmp.resolve("nope.json").toString(), "x");
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("nope.json");
    }
}
