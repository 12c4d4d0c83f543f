import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Draws docs/lm-bench/bits-per-byte.png from docs/lm-bench/summary.json (written by
 * bench/lm_benchmark_summary.py): test bits per byte of every row, one bar per seed, teacher and
 * scratch included. Rows not run are left out.
 *
 *   java -Djava.awt.headless=true -cp distill-cli/target/distill.jar bench/LmBenchChart.java [DOCS=docs/lm-bench]
 */
public class LmBenchChart {
    public static void main(String[] args) throws Exception {
        Path docs = Path.of(args.length > 0 ? args[0] : "docs/lm-bench");
        JsonNode s = new ObjectMapper().readTree(docs.resolve("summary.json").toFile());
        List<String> names = new ArrayList<>();
        List<Double> s1 = new ArrayList<>();
        List<Double> s2 = new ArrayList<>();
        double t = s.at("/teacher/test_bits_per_byte").asDouble();
        names.add("teacher");
        s1.add(t);
        s2.add(t);
        names.add("scratch");
        s1.add(s.at("/scratch/1/test_bits_per_byte").asDouble(Double.NaN));
        s2.add(s.at("/scratch/2/test_bits_per_byte").asDouble(Double.NaN));
        String[][] rows = {{"seq", "(a) seq"}, {"top1", "(b) top-1"}, {"top5", "(c) top-5"}, {"top20", "(d) top-20"},
            {"sampled", "(e) sampled"}, {"full", "(f) full"}};
        for (String[] r : rows) {
            JsonNode seeds = s.at("/rows/" + r[0] + "/seeds");
            if (seeds.isMissingNode() || seeds.isEmpty()) {
                continue;
            }
            names.add(r[1]);
            s1.add(seeds.at("/1/test_bits_per_byte").asDouble(Double.NaN));
            s2.add(seeds.at("/2/test_bits_per_byte").asDouble(Double.NaN));
        }
        CategoryChart chart = new CategoryChartBuilder()
                .width(900)
                .height(460)
                .title("Test bits/byte (lower is better): teacher 4x128, student 2x48, 4.1M student tokens")
                .xAxisTitle("row")
                .yAxisTitle("test bits per byte")
                .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setYAxisMin(2.0); // the y axis starts at 2 bits/byte: the rows differ by hundredths
        chart.getStyler().setYAxisMax(2.75);
        chart.getStyler().setYAxisDecimalPattern("0.00");
        chart.addSeries("seed 1", names, s1);
        chart.addSeries("seed 2", names, s2);
        BitmapEncoder.saveBitmap(chart, docs.resolve("bits-per-byte").toString(), BitmapEncoder.BitmapFormat.PNG);
        System.out.println("wrote " + docs.resolve("bits-per-byte.png"));
    }
}
