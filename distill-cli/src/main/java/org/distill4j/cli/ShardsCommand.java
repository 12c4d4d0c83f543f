package org.distill4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.data.FeatureShards;
import org.distill4j.recipe.Recipe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code distill shards RECIPE DIR}: the recipe's training rows (and shifted copies) as feature shards. */
@Command(
        name = "shards",
        mixinStandardHelpOptions = true,
        description = "Write the recipe's training rows, plus optional randomly shifted copies, as feature shards "
                + "into DIR, for 'distill distill --from-shards DIR' (training from data larger than memory; "
                + "docs/scale-out.md).")
final class ShardsCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RECIPE", description = "Recipe file (YAML).")
    Path recipeFile;

    @Parameters(index = "1", paramLabel = "DIR", description = "Output directory (must not hold shards.json).")
    Path dir;

    @Option(
            names = "--copies",
            paramLabel = "K",
            defaultValue = "0",
            description = "Augmented copies of every row to add (default ${DEFAULT-VALUE}).")
    int copies;

    @Option(
            names = "--shift",
            paramLabel = "PIXELS",
            defaultValue = "2",
            description = "Largest random shift of a copy, in pixels (default ${DEFAULT-VALUE}).")
    int shift;

    @Option(
            names = "--rows-per-shard",
            paramLabel = "ROWS",
            defaultValue = "16384",
            description = "Rows a shard holds (default ${DEFAULT-VALUE}); one shard is in memory at a time.")
    int rowsPerShard;

    @Mixin
    ExperimentOptions options;

    @Override
    public Integer call() throws Exception {
        Recipe recipe = options.load(recipeFile);
        FeatureShards shards = options.experiment(recipe).writeShards(dir, copies, shift, rowsPerShard);
        System.out.println("shards: " + shards.dir().toAbsolutePath() + " (" + shards.rows() + " rows in "
                + shards.shards().size() + " shards, content hash " + shards.contentHash() + ")");
        return ExitCodes.OK;
    }
}
