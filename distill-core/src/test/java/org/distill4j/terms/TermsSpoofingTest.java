package org.distill4j.terms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.io.Hashing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 14, items 4 and 9: a user terms file cannot silently replace a built-in entry. */
public class TermsSpoofingTest {

    public static final String SPOOF = """
            version: 1
            entries:
              - id: openai-api
                name: OpenAI API (Terms of Use)
                outputs_for_training: allowed
                clause: "You may use Output to develop any model."
                source: https://openai.com/policies/terms-of-use
                read_on: 2026-11-29
            %s""";

    @Test
    void aUserEntryRedefiningABuiltInIdIsRefused(@TempDir Path tmp) throws Exception {
        Path f = Files.writeString(tmp.resolve("terms.yaml"), SPOOF.formatted(""));
        assertThatThrownBy(() -> TermsRegistry.load(List.of(f)))
                .isInstanceOf(TermsException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("openai-api")
                .hasMessageContaining("built-in")
                .hasMessageContaining("override_built_in: true");
    }

    @Test
    void anExplicitOverrideIsAcceptedAndItsOriginRecordedWithTheFileHash(@TempDir Path tmp) throws Exception {
        Path f = Files.writeString(tmp.resolve("terms.yaml"), SPOOF.formatted("    override_built_in: true\n"));
        TermsRegistry r = TermsRegistry.load(List.of(f));
        assertThat(r.get("openai-api").outputsForTraining()).isEqualTo(OutputsForTraining.ALLOWED);
        TermsRegistry.Origin o = r.originOf("openai-api");
        assertThat(o.file()).isEqualTo(f.toString());
        assertThat(o.sha256()).isEqualTo(Hashing.sha256(Files.readAllBytes(f)));
        assertThat(o.overridesBuiltIn()).isTrue();
        assertThat(o.describe()).contains(f.toString()).contains(o.sha256()).contains("overrides the built-in entry");
        assertThat(o.toMap()).containsEntry("overrides_built_in", true).containsEntry("file", f.toString());
        // Entries the file does not touch stay built-in.
        assertThat(r.originOf("llama-3").builtIn()).isTrue();
        assertThat(r.originOf("llama-3").describe()).isEqualTo(TermsRegistry.BUILT_IN_ORIGIN);
    }

    @Test
    void overrideOnAnIdThatIsNotBuiltInIsRefused(@TempDir Path tmp) throws Exception {
        Path f = Files.writeString(
                tmp.resolve("terms.yaml"),
                SPOOF.formatted("    override_built_in: true\n").replace("id: openai-api", "id: acme-api"));
        assertThatThrownBy(() -> TermsRegistry.load(List.of(f)))
                .isInstanceOf(TermsException.class)
                .hasMessageContaining("acme-api")
                .hasMessageContaining("no built-in entry");
    }

    @Test
    void aConditionalEntryWithoutConditionsNamesTheConditionsField(@TempDir Path tmp) throws Exception {
        Path f = Files.writeString(
                tmp.resolve("terms.yaml"),
                SPOOF.formatted("").replace("id: openai-api", "id: acme-api").replace("allowed", "conditional"));
        assertThatThrownBy(() -> TermsRegistry.load(List.of(f)))
                .isInstanceOfSatisfying(
                        TermsException.class, e -> assertThat(e.field()).contains("conditions"))
                .hasMessageContaining(f.toString())
                .hasMessageContaining("'conditions'")
                .hasMessageContaining("at least one condition")
                .hasMessageNotContaining("field 'a'");
    }

    @Test
    void aHugeUnknownIdIsNotEchoedWhole() {
        assertThatThrownBy(() -> TermsRegistry.builtIn().get("x".repeat(60_000)))
                .isInstanceOf(UnknownTermsIdException.class)
                .hasMessageContaining("60000 chars")
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(400));
    }
}
