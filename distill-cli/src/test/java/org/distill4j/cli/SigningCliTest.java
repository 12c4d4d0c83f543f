package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.distill4j.cli.CliTest.distill;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.cli.CliTest.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code distill provenance keygen|sign|verify --key} and {@code eval}/{@code serve --verify-key}
 * on a model the real pipeline trained: exit codes, and refusal naming the tampered file.
 */
class SigningCliTest {

    @Test
    void signVerifyAndLoadersRefuseTamperedModels(@TempDir Path tmp) throws Exception {
        Path data = CliTest.dataset(tmp.resolve("data"));
        Path r = CliTest.recipe(tmp, CliTest.RECIPE);
        Path out = tmp.resolve("out");
        // `run` evaluates the models, so the card's model-index has results (`distill` alone measures none).
        Run run = distill(
                "run",
                r.toString(),
                "--no-progress",
                "--out",
                out.toString(),
                "--cache-dir",
                tmp.resolve("cache").toString());
        assertThat(run.code()).as(run.err()).isZero();
        Path student = out.resolve("student_distilled");
        // The pipeline's model card carries Hub metadata: IDX data is an image task, the local teacher no base_model.
        String card = Files.readString(student.resolve("README.md"));
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> fm = new com.fasterxml.jackson.databind.ObjectMapper(
                        new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                .readValue(card.substring(4, card.indexOf("\n---\n", 4) + 1), java.util.Map.class);
        assertThat(fm.get("pipeline_tag")).isEqualTo("image-classification");
        assertThat(fm.get("license")).isEqualTo("mit");
        assertThat(fm).doesNotContainKeys("base_model", "datasets").containsKey("model-index");
        assertThat(fm.get("model-index").toString())
                .contains("type=image-classification", "type=custom", "split=test", "type=accuracy");
        String key = tmp.resolve("key.pem").toString();
        String pub = tmp.resolve("pub.pem").toString();

        Run keygen = distill("provenance", "keygen", "--private", key, "--public", pub, "--curve", "P-384");
        assertThat(keygen.code()).as(keygen.err()).isZero();
        assertThat(Files.readString(Path.of(pub))).startsWith("-----BEGIN PUBLIC KEY-----");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(key))))
                .isEqualTo("rw-------");
        assertThat(distill("provenance", "keygen", "--private", key, "--public", pub)
                        .code())
                .as("never overwrites a key")
                .isEqualTo(3);

        // Unsigned: verify --key says so (6); eval warns but runs unless --require-signed.
        Run unsigned = distill("provenance", "verify", student.toString(), "--key", pub);
        assertThat(unsigned.code()).isEqualTo(6);
        assertThat(unsigned.out()).contains("UNSIGNED");
        Run evalUnsigned = distill(
                "eval", student.toString(), "--data", data.toString(), "--test-limit", "20", "--verify-key", pub);
        assertThat(evalUnsigned.code()).as(evalUnsigned.err()).isZero();
        assertThat(evalUnsigned.err()).contains("warning", "UNSIGNED");
        Run evalRequired =
                distill("eval", student.toString(), "--data", data.toString(), "--verify-key", pub, "--require-signed");
        assertThat(evalRequired.code()).isEqualTo(6);
        assertThat(evalRequired.err()).contains("refused", "model.sig");

        Run sign = distill("provenance", "sign", student.toString(), "--key", key);
        assertThat(sign.code()).as(sign.err()).isZero();
        assertThat(sign.out()).contains("signed", "P-384", "model.sig");
        Run verified = distill("provenance", "verify", student.toString(), "--key", pub);
        assertThat(verified.code()).as(verified.out()).isZero();
        assertThat(verified.out()).contains("OK:", "matches its signature", "matches its provenance.json");
        assertThat(distill("provenance", "verify", student.toString()).out()).contains("model.sig exists");
        Run evalSigned = distill(
                "eval",
                student.toString(),
                "--data",
                data.toString(),
                "--test-limit",
                "20",
                "--verify-key",
                pub,
                "--require-signed");
        assertThat(evalSigned.code()).as(evalSigned.err()).isZero();
        assertThat(evalSigned.out()).contains("rows:             test split, 20 rows", "accuracy:");
        assertThat(evalSigned.err()).contains("signature OK");
        // serve gets past the signature check to the port: a taken port gives its own exit code, 2.
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Run serve = distill(
                    "serve",
                    student.toString(),
                    "--port",
                    Integer.toString(taken.getLocalPort()),
                    "--verify-key",
                    pub,
                    "--require-signed");
            assertThat(serve.code()).as(serve.err()).isEqualTo(2);
            assertThat(serve.err()).contains("in use");
        }

        // Tampered: a hidden file in a new sub-directory. Every loader refuses, naming it.
        Files.createDirectories(student.resolve("sub"));
        Files.writeString(student.resolve("sub/.evil"), "x");
        Run tampered = distill("provenance", "verify", student.toString(), "--key", pub);
        assertThat(tampered.code()).isEqualTo(6);
        assertThat(tampered.out()).contains("added:    sub/.evil");
        assertThat(distill("provenance", "verify", student.toString()).code())
                .as("the unsigned manifest does not look into sub-directories")
                .isZero();
        Run evalTampered = distill("eval", student.toString(), "--data", data.toString(), "--verify-key", pub);
        assertThat(evalTampered.code()).isEqualTo(6);
        assertThat(evalTampered.err()).contains("refused", "sub/.evil");
        Run serveTampered = distill("serve", student.toString(), "--port", "0", "--verify-key", pub);
        assertThat(serveTampered.code()).isEqualTo(6);
        assertThat(serveTampered.err()).contains("refused", "sub/.evil");
        assertThat(serveTampered.out()).doesNotContain("serving");

        // Usage errors: --require-signed without a key, a private key given to verify, a missing key file.
        assertThat(distill("eval", student.toString(), "--data", data.toString(), "--require-signed")
                        .code())
                .isEqualTo(2);
        Run privateAsPublic = distill("provenance", "verify", student.toString(), "--key", key);
        assertThat(privateAsPublic.code()).isEqualTo(2);
        assertThat(privateAsPublic.err()).contains("key error", "is a private key");
        Run noKey = distill(
                "provenance",
                "sign",
                student.toString(),
                "--key",
                tmp.resolve("nope.pem").toString());
        assertThat(noKey.code()).isEqualTo(2);
        assertThat(noKey.err()).contains("nope.pem");
        // A symbolic link cannot be signed: exit 6 naming it.
        Files.delete(student.resolve("sub/.evil"));
        Files.createSymbolicLink(student.resolve("sub/link"), data);
        Run link = distill("provenance", "sign", student.toString(), "--key", key);
        assertThat(link.code()).isEqualTo(6);
        assertThat(link.err()).contains("sub/link", "symbolic link");
    }
}
