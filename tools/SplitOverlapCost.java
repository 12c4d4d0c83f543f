/**
 * What SplitOverlap finds and costs on the bundled data (docs/text.md, docs/lm.md): the Debian
 * sections recipe's held-out rows against its training rows, then the first MAX_BYTES of the Debian
 * descriptions split by document and by near-duplicate group (seed 42, 5% / 5%), test against train.
 *   java -Dai.djl.offline=true -cp distill-cli/target/distill.jar tools/SplitOverlapCost.java MAX_BYTES
 * (2000000 for 2 MB, 100000000 for all 20 MB; run 3 times for the docs' medians). Seconds are wall
 * clock of each step in one JVM, first call included.
 */
import java.nio.file.Path;
import java.util.*;
import org.distill4j.experiment.ExperimentData;
import org.distill4j.recipe.RecipeLoader;
import org.distill4j.lm.corpus.*;
public class SplitOverlapCost {
  public static void main(String[] a) throws Exception {
    long t0 = System.nanoTime();
    var recipe = RecipeLoader.load(Path.of("recipes/debian-sections.yaml"), List.of());
    var data = ExperimentData.load(recipe);
    long t1 = System.nanoTime();
    var m = java.util.Map.of("split_overlap", data.heldOutOverlap().orElseThrow().report());
    long t2 = System.nanoTime();
    System.out.printf("classification: load %.1fs overlap %.1fs %s%n", (t1-t0)/1e9, (t2-t1)/1e9, m);
    System.out.println(SplitOverlap.describe((Map<?,?>) m.get("split_overlap"), "rows"));
    var opts = new TextCorpus.Options("text", TextCorpus.Options.defaults().utf8(), TextCorpus.Options.defaults().maxLineBytes(), Long.parseLong(a[0]), TextCorpus.Options.defaults().maxDocuments());
    var corpus = TextCorpus.read(List.of(Path.of("../shared/data/debian-descriptions/train.jsonl.gz")), opts);
    for (var unit : CorpusSplit.Unit.values()) {
      long s0 = System.nanoTime();
      var split = CorpusSplit.split(unit, corpus.documents(), 42, 0.05, 0.05);
      long s1 = System.nanoTime();
      var t = SplitOverlap.of(split.test().stream().map(Document::text).toList());
      split.train().forEach(d -> t.accept(d.text()));
      long s2 = System.nanoTime();
      System.out.printf("LM %s: split %.2fs overlap %.2fs test %s%n", unit, (s1-s0)/1e9, (s2-s1)/1e9, t.result());
    }
  }
}
