import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.distill4j.data.IdxDataset;
import org.distill4j.eval.ServingCost;
import org.distill4j.model.SavedModel;

/**
 * Times two saved models' serving cost (ServingCost, as the experiment's evaluation measures it)
 * twice each in one JVM, in the order A, B, A, B, on the Fashion-MNIST test rows: whether a
 * difference between two models' throughput columns comes from the models or from where in the
 * run they were measured (docs/demo-results.md).
 * Usage: java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 -cp distill.jar tools/profile/ServingOrder.java MODEL_A MODEL_B
 */
public class ServingOrder {
    public static void main(String[] a) throws Exception {
        var test = IdxDataset.load(Path.of("/usr/share/datasets/fashion-mnist")).test();
        for (String d : new String[] {a[0], a[1], a[0], a[1]}) {
            try (SavedModel m = SavedModel.load(Path.of(d));
                    NDManager mg = m.model().getNDManager().newSubManager()) {
                ServingCost c = ServingCost.measure(m::logits, test, mg, 300, 256);
                System.out.printf("%s p50 %.3f ms, %.0f rows/s%n", d, c.latencyMsP50(), c.throughputPerS());
            }
        }
    }
}
