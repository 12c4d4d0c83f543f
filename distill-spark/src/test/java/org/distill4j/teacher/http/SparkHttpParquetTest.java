package org.distill4j.teacher.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.distill4j.spark.LabelJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An HTTP teacher over Parquet inputs (a text column with explicit keys, in three shards): rows
 * are bucketed by payload on the executors, each distinct text is asked once in the whole job
 * (the loopback server counts answers per text), every row gets its text's answer, and a rerun asks
 * nothing again.
 */
class SparkHttpParquetTest {

    static final List<String> LABELS = List.of("fruit", "code", "tree", "net");
    static final String KEY = "sk-spark-parquet-3e9b";

    @Test
    void parquetTextRowsAreBucketedByPayloadAndEachDistinctTextIsAskedOnce(@TempDir Path tmp) throws Exception {
        // The recipe's split gives the label set; the rows to label come from Parquet.
        Path data = Files.createDirectories(tmp.resolve("data"));
        for (String split : List.of("train", "test")) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < 8; i++) {
                b.append(SparkHttpLabelTest.JSON.writeValueAsString(
                                Map.of("text", "recipe row " + i, "label", LABELS.get(i % 4))))
                        .append('\n');
            }
            Files.writeString(data.resolve(split + ".jsonl"), b);
        }
        Path keyFile = Files.writeString(tmp.resolve("key.txt"), KEY + "\n");
        try (FakeTeacherServer server = new FakeTeacherServer(KEY, LABELS)) {
            String flaky = "parquet text 7";
            server.fault(flaky, FakeTeacherServer.Fault.ERROR_503); // retried by the collector
            Path recipe = tmp.resolve("http.yaml");
            Files.writeString(recipe, """
                    name: spark-http-parquet
                    seed: 3
                    data: {format: jsonl, dir: %s, features: {max_features: 16}, validation_fraction: 0}
                    teacher:
                      source: http
                      terms: mit
                      http: {protocol: v2, url: '%s', model: m, api_key_file: %s, requests_per_minute: 6000,
                             batch_size: 4, concurrency: 2}
                    student:
                      model: {type: mlp, hidden: [4]}
                      training: {epochs: 1, batch_size: 32}
                    """.formatted(data, server.baseUrl(), keyFile));
            SparkSession spark = SparkSession.builder()
                    .master("local[2,3]")
                    .appName("distill4j-http-parquet-test")
                    .config("spark.ui.enabled", "false")
                    .getOrCreate();
            try {
                // 75 rows over 25 distinct texts, keys 5000.., written as three shards.
                StructType schema =
                        new StructType().add("id", DataTypes.LongType).add("text", DataTypes.StringType);
                List<Row> rows = new ArrayList<>();
                for (int i = 0; i < 75; i++) {
                    rows.add(RowFactory.create(5000L + i, "parquet text " + (i % 25)));
                }
                Path in = tmp.resolve("shards");
                spark.createDataFrame(rows, schema).repartition(3).write().parquet(in.toString());

                Path out = tmp.resolve("labels");
                LabelJob.Result r = LabelJob.run(
                        spark,
                        LabelJob.Config.of(recipe, "train", out)
                                .withParquet(in, "text", "id")
                                .withSizes(512, 30));
                assertThat(r.rows()).isEqualTo(75);
                assertThat(r.partitions()).isEqualTo(3); // ceil(75 / 30) buckets
                assertThat(r.failedRows()).isZero();
                for (int t = 0; t < 25; t++) {
                    assertThat(server.successesFor("parquet text " + t))
                            .as("text %d", t)
                            .isEqualTo(1);
                }
                assertThat(server.requestsFor(flaky)).isEqualTo(2);
                Map<Long, float[]> got = SparkHttpLabelTest.read(spark, out);
                assertThat(got).hasSize(75);
                for (int i = 0; i < 75; i++) {
                    assertThat(got.get(5000L + i))
                            .as("row %d", i)
                            .containsExactly(FakeTeacherServer.logits("parquet text " + (i % 25), LABELS.size()));
                }
                JsonNode m = SparkHttpLabelTest.JSON.readTree(
                        out.resolve(LabelJob.MANIFEST).toFile());
                assertThat(m.at("/collection/usage/items_collected").asLong()).isEqualTo(25);
                assertThat(m.at("/collection/buckets").asInt()).isEqualTo(3);
                assertThat(m.at("/inputs/files")).hasSize(3);

                int requests = server.requests();
                SparkHttpLabelTest.deleteTree(out);
                LabelJob.Result again = LabelJob.run(
                        spark,
                        LabelJob.Config.of(recipe, "train", out)
                                .withParquet(in, "text", "id")
                                .withSizes(512, 30));
                assertThat(again.rows()).isEqualTo(75);
                assertThat(server.requests()).isEqualTo(requests);
                JsonNode m2 = SparkHttpLabelTest.JSON.readTree(
                        out.resolve(LabelJob.MANIFEST).toFile());
                assertThat(m2.at("/collection/usage/items_from_journal").asLong())
                        .isEqualTo(25);
            } finally {
                spark.stop();
            }
        }
    }
}
