package org.distill4j.terms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TermsRegistryTest {

    @TempDir
    Path dir;

    private static final String VALID_ENTRY = """
              - id: acme-model
                name: Acme Model
                outputs_for_training: allowed
                clause: "Outputs may be used for any purpose."
                source: https://acme.example/terms
                read_on: 2026-11-01
            """;

    private Path file(String name, String body) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, body, StandardCharsets.UTF_8);
        return p;
    }

    private Path entriesFile(String name, String entries) throws IOException {
        return file(name, "version: 1\nentries:\n" + entries);
    }

    @Test
    void builtInRegistryLoadsAndCoversTheRequiredFamilies() {
        TermsRegistry registry = TermsRegistry.builtIn();

        assertThat(registry.ids())
                .contains(
                        "openai-api",
                        "anthropic-api",
                        "gemini-api",
                        "llama-2",
                        "llama-3",
                        "llama-3.1",
                        "llama-3.2",
                        "llama-3.3",
                        "llama-4",
                        "gemma",
                        "mistral-apache-2.0",
                        "qwen2.5-apache-2.0",
                        "qwen2.5-qwen-license",
                        "deepseek-v3",
                        "deepseek-r1",
                        "phi-3",
                        "phi-4",
                        "mit",
                        "apache-2.0",
                        "cc-by-4.0",
                        "cc-by-nc-4.0");
        assertThat(registry.entries()).allSatisfy(e -> {
            assertThat(registry.origin(e.id())).contains(TermsRegistry.BUILT_IN_ORIGIN);
            assertThat(e.clause()).isNotBlank();
            assertThat(e.source().getScheme()).isEqualTo("https");
            assertThat(e.readOn()).isNotNull();
            if (e.outputsForTraining() == OutputsForTraining.CONDITIONAL) {
                assertThat(e.conditions()).isNotEmpty();
            }
            // Re-validating through the record constructor must accept every shipped entry.
            assertThat(new TermsEntry(
                            e.id(),
                            e.name(),
                            e.outputsForTraining(),
                            e.conditions(),
                            e.clause(),
                            e.source(),
                            e.readOn(),
                            e.notes()))
                    .isEqualTo(e);
        });
    }

    @Test
    void builtInVerdictsMatchTheKnownFacts() {
        TermsRegistry r = TermsRegistry.builtIn();
        assertThat(r.get("openai-api").outputsForTraining()).isEqualTo(OutputsForTraining.PROHIBITED);
        assertThat(r.get("anthropic-api").outputsForTraining()).isEqualTo(OutputsForTraining.PROHIBITED);
        assertThat(r.get("gemini-api").outputsForTraining()).isEqualTo(OutputsForTraining.PROHIBITED);
        assertThat(r.get("llama-2").outputsForTraining()).isEqualTo(OutputsForTraining.PROHIBITED);
        assertThat(r.get("llama-3").outputsForTraining()).isEqualTo(OutputsForTraining.PROHIBITED);
        assertThat(r.get("deepseek-r1").outputsForTraining()).isEqualTo(OutputsForTraining.ALLOWED);
        assertThat(r.get("mit").outputsForTraining()).isEqualTo(OutputsForTraining.ALLOWED);
        for (String id : List.of("llama-3.1", "llama-3.2", "llama-3.3", "llama-4")) {
            assertThat(r.get(id).conditions())
                    .contains(new Condition.NamePrefix("Llama"), new Condition.AttributionNotice("Built with Llama"));
        }
        assertThat(r.get("gemma").conditions()).hasAtLeastOneElementOfType(Condition.PassThroughUseRestrictions.class);
        assertThat(r.get("cc-by-nc-4.0").conditions()).hasAtLeastOneElementOfType(Condition.NonCommercial.class);
        assertThat(r.get("llama-3.1").conditions())
                .contains(new Condition.UserThreshold(
                        700_000_000L,
                        "a licence must be requested from Meta, which Meta may grant in its sole discretion"));
    }

    @Test
    void entryMapUsesRegistryFieldNames() {
        assertThat(TermsRegistry.builtIn().get("llama-3.1").toMap())
                .containsEntry("id", "llama-3.1")
                .containsEntry("outputs_for_training", "conditional")
                .containsKeys("conditions", "clause", "source", "read_on");
    }

    @Test
    void unknownIdListsCloseIds() {
        TermsRegistry r = TermsRegistry.builtIn();
        assertThatThrownBy(() -> r.get("llama3.1"))
                .isInstanceOf(UnknownTermsIdException.class)
                .hasMessageContaining("unknown terms id 'llama3.1'")
                .hasMessageContaining("llama-3.1");
        assertThatThrownBy(() -> r.get("zzzzzzzzzzzz"))
                .isInstanceOf(UnknownTermsIdException.class)
                .hasMessageContaining("none of the");
        assertThat(r.find("nope")).isEmpty();
    }

    @Test
    void userFileAddsEntriesAndOverridesById() throws IOException {
        Path add = entriesFile("add.yaml", VALID_ENTRY);
        Path override = entriesFile("override.yaml", """
                  - id: llama-3
                    name: Meta Llama 3 (our signed agreement)
                    outputs_for_training: allowed
                    clause: "Licensee may use outputs to train models."
                    source: https://intranet.example/agreements/42
                    read_on: 2026-10-02
                    notes: replaces the built-in entry
                    override_built_in: true
                """);

        TermsRegistry r = TermsRegistry.load(List.of(add, override));

        assertThat(r.get("acme-model").name()).isEqualTo("Acme Model");
        assertThat(r.originOf("acme-model").file()).isEqualTo(add.toString());
        TermsEntry llama3 = r.get("llama-3");
        assertThat(llama3.outputsForTraining()).isEqualTo(OutputsForTraining.ALLOWED);
        assertThat(llama3.conditions()).isEmpty(); // whole entry replaced, not merged
        assertThat(r.originOf("llama-3").file()).isEqualTo(override.toString());
        assertThat(r.ids().indexOf("llama-3"))
                .isEqualTo(TermsRegistry.builtIn().ids().indexOf("llama-3"));
        assertThat(r.ids()).endsWith("acme-model");
        assertThat(TermsRegistry.builtIn().get("llama-3").outputsForTraining())
                .isEqualTo(OutputsForTraining.PROHIBITED);
    }

    @Test
    void laterUserFileWinsOverEarlierUserFile() throws IOException {
        Path first = entriesFile("first.yaml", VALID_ENTRY);
        Path second = entriesFile("second.yaml", VALID_ENTRY.replace("allowed", "prohibited"));
        TermsRegistry r = TermsRegistry.load(List.of(first, second));
        assertThat(r.get("acme-model").outputsForTraining()).isEqualTo(OutputsForTraining.PROHIBITED);
        assertThat(r.originOf("acme-model").file()).isEqualTo(second.toString());
    }

    private TermsException loadError(String name, String body) throws IOException {
        Path p = file(name, body);
        try {
            TermsRegistry.load(List.of(p));
        } catch (TermsException e) {
            assertThat(e.file()).isEqualTo(p.toString());
            assertThat(e.getMessage()).startsWith(p.toString());
            return e;
        }
        throw new AssertionError("expected a TermsException for " + name);
    }

    @Test
    void unknownKeyIsNamedWithAllowedKeys() throws IOException {
        TermsException e = loadError(
                "unknown-key.yaml", "version: 1\nentries:\n" + VALID_ENTRY + "    licence_url: https://x.example\n");
        assertThat(e.entry()).contains("entries[0] (id 'acme-model')");
        assertThat(e.field()).contains("licence_url");
        assertThat(e.getMessage()).contains("unknown key 'licence_url'").contains("allowed keys: id, name");
    }

    @Test
    void badEnumNamesValueAndAllowedValues() throws IOException {
        TermsException e =
                loadError("bad-enum.yaml", "version: 1\nentries:\n" + VALID_ENTRY.replace("allowed", "maybe"));
        assertThat(e.field()).contains("outputs_for_training");
        assertThat(e.getMessage())
                .contains("entries[0] (id 'acme-model')")
                .contains("'maybe' is not allowed")
                .contains("allowed, conditional, prohibited, unknown");
    }

    @Test
    void missingClauseOrSourceIsNamed() throws IOException {
        TermsException noClause = loadError(
                "no-clause.yaml",
                "version: 1\nentries:\n"
                        + VALID_ENTRY.replace("    clause: \"Outputs may be used for any purpose.\"\n", ""));
        assertThat(noClause.field()).contains("clause");
        assertThat(noClause.getMessage())
                .contains("entries[0] (id 'acme-model')")
                .contains("missing");

        TermsException noSource = loadError(
                "no-source.yaml",
                "version: 1\nentries:\n" + VALID_ENTRY.replace("    source: https://acme.example/terms\n", ""));
        assertThat(noSource.field()).contains("source");

        TermsException badSource = loadError(
                "bad-source.yaml",
                "version: 1\nentries:\n" + VALID_ENTRY.replace("https://acme.example/terms", "see the website"));
        assertThat(badSource.field()).contains("source");
        assertThat(badSource.getMessage())
                .contains("'see the website' is not allowed")
                .contains("http(s) URL");
    }

    @Test
    void badDateIsNamedWithExpectedFormat() throws IOException {
        TermsException e =
                loadError("bad-date.yaml", "version: 1\nentries:\n" + VALID_ENTRY.replace("2026-11-01", "2026-13-45"));
        assertThat(e.field()).contains("read_on");
        assertThat(e.getMessage()).contains("'2026-13-45' is not allowed").contains("YYYY-MM-DD");
    }

    @Test
    void duplicateIdWithinAFileIsRejected() throws IOException {
        TermsException e = loadError("dup.yaml", "version: 1\nentries:\n" + VALID_ENTRY + VALID_ENTRY);
        assertThat(e.entry()).contains("entries[1] (id 'acme-model')");
        assertThat(e.field()).contains("id");
        assertThat(e.getMessage()).contains("duplicate id 'acme-model'").contains("entries[0]");
    }

    @Test
    void conditionErrorsNameTheConditionField() throws IOException {
        TermsException badType = loadError(
                "bad-cond.yaml",
                "version: 1\nentries:\n" + VALID_ENTRY + "    conditions:\n      - {type: name_suffix, value: x}\n");
        assertThat(badType.field()).contains("conditions[0].type");
        assertThat(badType.getMessage())
                .contains("'name_suffix' is not allowed")
                .contains("name_prefix");

        TermsException missing = loadError(
                "cond-missing.yaml",
                "version: 1\nentries:\n" + VALID_ENTRY + "    conditions:\n      - {type: user_threshold}\n");
        assertThat(missing.field()).contains("conditions[0].monthly_active_users");

        TermsException extra = loadError(
                "cond-extra.yaml",
                "version: 1\nentries:\n" + VALID_ENTRY
                        + "    conditions:\n      - {type: name_prefix, value: Llama, text: hi}\n");
        assertThat(extra.field()).contains("conditions[0].text");
        assertThat(extra.getMessage()).contains("allowed keys: type, value");
    }

    @Test
    void conditionalWithoutConditionsIsRejected() throws IOException {
        TermsException e =
                loadError("cond-none.yaml", "version: 1\nentries:\n" + VALID_ENTRY.replace("allowed", "conditional"));
        assertThat(e.getMessage()).contains("entries[0] (id 'acme-model')").contains("at least one condition");
    }

    @Test
    void fileLevelProblemsAreNamed() throws IOException {
        assertThat(loadError("empty.yaml", "").getMessage()).contains("empty");
        assertThat(loadError("version.yaml", "version: 2\nentries: []\n").getMessage())
                .contains("field 'version'")
                .contains("allowed: 1");
        assertThat(loadError("dupkey.yaml", "version: 1\nversion: 1\nentries: []\n")
                        .getMessage())
                .contains("not valid YAML")
                .contains("version");
        assertThatThrownBy(() -> TermsRegistry.load(List.of(dir.resolve("missing.yaml"))))
                .isInstanceOf(TermsException.class)
                .hasMessageContaining("missing.yaml")
                .hasMessageContaining("cannot read");
    }
}
