package org.distill4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.experiment.LmTrainingCorpus;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.token.BpeTokenizer;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.recipe.RecipeException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code distill tokenizer train|encode}: byte-level BPE tokenizers for language-model recipes. */
@Command(
        name = "tokenizer",
        mixinStandardHelpOptions = true,
        description = "Byte-level BPE tokenizers (Hugging Face tokenizer.json) for language-model recipes. See "
                + "docs/lm.md#tokenizers.",
        subcommands = {TokenizerCommand.Train.class, TokenizerCommand.Encode.class})
final class TokenizerCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return ExitCodes.USAGE;
    }

    /** {@code distill tokenizer train RECIPE --out FILE}: the BPE a run of the recipe would train. */
    @Command(
            name = "train",
            mixinStandardHelpOptions = true,
            description = "Train the BPE of a language-model recipe's data.tokenizer.vocab_size on its training split "
                    + "(one streaming pass; the tokenizer distill run would train, same digest) and write it as "
                    + "tokenizer.json, for data.tokenizer.file in other recipes or for other tools.")
    static final class Train implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "RECIPE", description = "A language-model recipe (YAML).")
        Path recipe;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write tokenizer.json.")
        Path out;

        @Option(
                names = "--vocab-size",
                paramLabel = "N",
                description = "Ids in all (>= 258); overrides data.tokenizer.vocab_size.")
        Integer vocabSize;

        @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a recipe field (repeatable).")
        List<String> overrides = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            List<String> all = new ArrayList<>(overrides);
            if (vocabSize != null) {
                all.add("data.tokenizer={type: bpe, vocab_size: " + vocabSize + "}");
            }
            LmRecipe r = LmRecipe.load(recipe, all);
            if (r.data().tokenizer() == null || r.data().tokenizer().vocabSize() == null) {
                throw new RecipeException(
                        "data.tokenizer.vocab_size",
                        recipe
                                + " trains no BPE (no data.tokenizer.vocab_size): set data.tokenizer: {type: bpe, vocab_size: N}"
                                + " or pass --vocab-size");
            }
            Tokenizer t = LmTrainingCorpus.tokenizer(r, null);
            ((BpeTokenizer) t).write(out);
            System.out.println("wrote " + out + ": " + t.identity());
            return ExitCodes.OK;
        }
    }

    /** {@code distill tokenizer encode TOKENIZER TEXT}: ids and the bytes each stands for. */
    @Command(
            name = "encode",
            mixinStandardHelpOptions = true,
            description = "Print the ids of TEXT and the text of each token, under a tokenizer.json or a language "
                    + "model directory's tokenizer.")
    static final class Encode implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "TOKENIZER", description = "A tokenizer.json or a model directory.")
        Path source;

        @Parameters(index = "1", paramLabel = "TEXT", description = "The text to encode.")
        String text;

        @Override
        public Integer call() throws Exception {
            Tokenizer t;
            if (Files.isDirectory(source)) {
                try (LanguageModel lm = LanguageModel.load(source)) {
                    t = lm.tokenizer();
                }
            } else {
                t = BpeTokenizer.read(source);
            }
            int[] ids = t.encode(text);
            StringBuilder line = new StringBuilder();
            for (int id : ids) {
                line.append(id)
                        .append('\t')
                        .append(printable(t.decode(new int[] {id})))
                        .append('\n');
            }
            System.out.print(line);
            System.out.printf(
                    "%d tokens, %d bytes, %s%n",
                    ids.length, text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, t.identity());
            return ExitCodes.OK;
        }

        private static String printable(String s) {
            return s.replace("\\", "\\\\")
                    .replace("\n", "\\n")
                    .replace("\t", "\\t")
                    .replace("\r", "\\r");
        }
    }
}
