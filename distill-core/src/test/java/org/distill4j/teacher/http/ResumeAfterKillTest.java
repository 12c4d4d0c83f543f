package org.distill4j.teacher.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A collection killed with SIGKILL in a child JVM resumes in this one: no completed item is
 * requested again and every item ends up in the journal exactly once.
 */
@Timeout(90)
class ResumeAfterKillTest {

    @TempDir
    Path dir;

    @Test
    void aKilledCollectionResumesWithoutRepeatingOrLosingAnItem() throws Exception {
        int rows = 60;
        Path journalDir = dir.resolve("journal");
        Path keyFile = dir.resolve("key.txt");
        Files.writeString(keyFile, LabelCollectorTest.KEY + "\n");
        Path childErr = dir.resolve("child-stderr.txt");
        TextSet data = CollectorMain.data(rows);
        try (FakeTeacherServer server = new FakeTeacherServer(LabelCollectorTest.KEY, data.classNames())) {
            server.latencyMillis(40);
            Process child = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-cp",
                            System.getProperty("java.class.path"),
                            "-Xshare:auto",
                            "-XX:TieredStopAtLevel=1",
                            CollectorMain.class.getName(),
                            server.baseUrl(),
                            journalDir.toString(),
                            keyFile.toString(),
                            Integer.toString(rows))
                    .redirectErrorStream(true)
                    .redirectOutput(childErr.toFile())
                    .start();
            Path journal = journalDir.resolve(CollectionJournal.FILE);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
            while (okLines(journal) < 8 && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            child.destroyForcibly(); // SIGKILL: no shutdown hooks, no flushing
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            int done = okLines(journal);
            assertThat(done)
                    .as("records journaled before the kill; child output:%n%s", read(childErr))
                    .isBetween(8, rows - 1);

            Map<String, CollectedItem> before =
                    CollectionJournal.read(journalDir).completed();
            Map<String, Integer> successesBefore = server.successes();
            HttpTeacherConfig config = CollectorMain.config(server.baseUrl(), LabelCollectorTest.key());
            Map<String, String> keyToText = new HashMap<>();
            for (int r = 0; r < rows; r++) {
                keyToText.put(LabelCollector.itemKey(config, data, r), data.text(r));
            }

            CollectionResult result = new LabelCollector(config).collect(data, journalDir, CollectionListener.none());

            assertThat(result.complete()).isTrue();
            assertThat(result.usage().itemsFromJournal()).isEqualTo(before.size());
            assertThat(result.usage().itemsCollected()).isEqualTo(rows - before.size());
            for (String key : before.keySet()) {
                String text = keyToText.get(key);
                assertThat(server.successesFor(text))
                        .as("successes of completed item %s", text)
                        .isEqualTo(successesBefore.get(text));
            }
            Map<String, Integer> okPerKey = new HashMap<>();
            for (String line : Files.readAllLines(journal)) {
                if (line.contains("\"type\":\"ok\"")) {
                    okPerKey.merge(JournalJson.MAPPER.readTree(line).get("key").asText(), 1, Integer::sum);
                }
            }
            assertThat(okPerKey.keySet()).containsExactlyInAnyOrderElementsOf(keyToText.keySet());
            assertThat(okPerKey.values()).allMatch(n -> n == 1);
            for (int r = 0; r < rows; r++) {
                double[] expected = FakeTeacherServer.logSoftmax(data.text(r), 4);
                for (int c = 0; c < 4; c++) {
                    assertThat((double) result.outputs().logits()[r * 4 + c])
                            .isCloseTo(expected[c], org.assertj.core.api.Assertions.within(1e-5));
                }
            }
            String childOutput = read(childErr);
            assertThat(childOutput)
                    .contains("progress")
                    .contains("file " + keyFile.toAbsolutePath())
                    .doesNotContain(LabelCollectorTest.KEY);
            for (Path f : List.of(journal, journalDir.resolve(UsageReport.FILE))) {
                assertThat(Files.readString(f)).doesNotContain(LabelCollectorTest.KEY);
            }
        }
    }

    private static int okLines(Path journal) throws Exception {
        if (!Files.exists(journal)) {
            return 0;
        }
        int n = 0;
        for (String line : Files.readString(journal).split("\n", -1)) {
            n += line.contains("\"type\":\"ok\"") && line.endsWith("}") ? 1 : 0;
        }
        return n;
    }

    private static String read(Path f) throws Exception {
        return Files.exists(f) ? Files.readString(f) : "";
    }
}
