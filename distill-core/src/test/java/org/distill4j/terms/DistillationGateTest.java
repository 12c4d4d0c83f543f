package org.distill4j.terms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.distill4j.teacher.TeacherIdentity;
import org.junit.jupiter.api.Test;

class DistillationGateTest {

    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
    private static final TermsRegistry REGISTRY = TermsRegistry.builtIn();

    private final DistillationGate gate = new DistillationGate(Clock.fixed(NOW, ZoneOffset.UTC));

    private static final TeacherIdentity TEACHER =
            new TeacherIdentity("distill4j", "/models/teacher", "ab".repeat(32), "MLP(hidden=[16])");

    /** Asks for an approval bound to {@link #TEACHER}. */
    private GateApproval approve(GateRequest request) throws DistillationRefusedException {
        return gate.approve(request.withTeacher(TEACHER));
    }

    @Test
    void anApprovalNamesTheTeacherAndTermsItWasGrantedFor() throws Exception {
        assertThatThrownBy(() -> gate.approve(GateRequest.forTeacher(REGISTRY.get("mit"), "s")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("withTeacher");
        GateApproval approval = approve(GateRequest.forTeacher(REGISTRY.get("mit"), "s"));
        assertThat(approval.teacher()).isEqualTo(TEACHER);
        assertThat(approval.terms().orElseThrow().id()).isEqualTo("mit");
        assertThat(approval.covers(TEACHER.cacheKey())).isTrue();
        assertThat(approval.covers("distill4j:" + "cd".repeat(32))).isFalse();
        @SuppressWarnings("unchecked")
        Map<String, Object> bound = (Map<String, Object>) approval.toMap().get("approved_teacher");
        assertThat(bound).containsEntry("content_hash", "ab".repeat(32)).containsEntry("kind", "distill4j");
    }

    @Test
    void theUsersOwnModelIsItsOwnVerdict() throws Exception {
        GateApproval approval = approve(GateRequest.ownModel(null, "student"));
        GateDecision d = approval.decision();
        assertThat(d.verdict()).isEqualTo(OutputsForTraining.OWN_MODEL);
        assertThat(d.unknownTermsAcknowledged()).isFalse();
        assertThat(d.reason()).contains("own model").doesNotContain("unknown");
        assertThat(d.toMap()).containsEntry("verdict", "own_model");
        // Declared terms are decided on those terms, never as an own model.
        assertThatThrownBy(() -> new GateRequest(
                        java.util.Optional.of(REGISTRY.get("mit")),
                        "s",
                        java.util.Optional.empty(),
                        false,
                        java.util.Optional.empty(),
                        true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("declared terms");
        // A registry file cannot claim the verdict.
        assertThat(OutputsForTraining.fromYaml("own_model")).isEmpty();
    }

    private static Permission permission() {
        return new Permission(
                "OpenAI research agreement #42, signed 2026-10-02",
                "alice@example.org",
                Instant.parse("2026-11-28T09:30:00Z"));
    }

    @Test
    void allowedProceedsAndListsNoticesAsOutstanding() throws Exception {
        GateApproval approval = approve(GateRequest.forTeacher(REGISTRY.get("deepseek-r1"), "tiny-reasoner"));

        GateDecision d = approval.decision();
        assertThat(d.proceeds()).isTrue();
        assertThat(d.verdict()).isEqualTo(OutputsForTraining.ALLOWED);
        assertThat(approval.studentName()).isEqualTo("tiny-reasoner");
        assertThat(d.outstandingConditions()).hasOnlyElementsOfType(Condition.LicenceNotice.class);
        assertThat(d.attributionNotices()).isEmpty();
        assertThat(d.decidedAt()).isEqualTo(NOW);
    }

    @Test
    void conditionalRefusesAStudentNameWithoutTheRequiredPrefixAndOffersOne() {
        GateRequest request = GateRequest.forTeacher(REGISTRY.get("llama-3.1"), "tiny-chat");

        GateDecision d = gate.evaluate(request);

        assertThat(d.proceeds()).isFalse();
        assertThat(d.suggestedStudentName()).contains("Llama-tiny-chat");
        assertThat(d.reason())
                .contains("to begin with \"Llama\"")
                .contains("Name the student \"Llama-tiny-chat\"")
                .contains("https://github.com/meta-llama/llama-models/blob/main/models/llama3_1/LICENSE");
        assertThatThrownBy(() -> approve(request))
                .isInstanceOf(DistillationRefusedException.class)
                .satisfies(e -> assertThat(((DistillationRefusedException) e).decision())
                        .isEqualTo(d));
    }

    @Test
    void conditionalProceedsWithTheCorrectedNameAndCarriesTheNotice() throws Exception {
        GateRequest refused = GateRequest.forTeacher(REGISTRY.get("llama-3.1"), "tiny-chat");
        String suggested = gate.evaluate(refused).suggestedStudentName().orElseThrow();

        GateApproval approval = approve(refused.withStudentName(suggested));

        assertThat(approval.studentName()).isEqualTo("Llama-tiny-chat");
        assertThat(approval.attributionNotices()).containsExactly("Built with Llama");
        GateDecision d = approval.decision();
        assertThat(d.enforcedConditions())
                .containsExactly(
                        new Condition.NamePrefix("Llama"), new Condition.AttributionNotice("Built with Llama"));
        assertThat(d.outstandingConditions())
                .extracting(Condition::type)
                .containsExactly("licence_notice", "user_threshold", "pass_through_use_restrictions");
        assertThat(d.reason()).contains("Built with Llama").contains("700,000,000 monthly active users");
    }

    @Test
    void caseOnlyMismatchIsCorrectedInPlace() {
        assertThat(DistillationGate.suggestName("llama-tiny", List.of("Llama"))).isEqualTo("Llama-tiny");
        assertThat(DistillationGate.suggestName("tiny", List.of("Llama"))).isEqualTo("Llama-tiny");
    }

    @Test
    void prohibitedWithoutPermissionRefusesWithClauseSourceAndWhatToDo() {
        TermsEntry openai = REGISTRY.get("openai-api");

        assertThatThrownBy(() -> approve(GateRequest.forTeacher(openai, "student")))
                .isInstanceOf(DistillationRefusedException.class)
                .hasMessageContaining("prohibit")
                .hasMessageContaining(openai.clause())
                .hasMessageContaining(openai.source().toString())
                .hasMessageContaining("read on " + openai.readOn())
                .hasMessageContaining("--permission \"");
    }

    @Test
    void prohibitedWithPermissionProceedsAndRecordsThePermission() throws Exception {
        GateApproval approval = approve(
                GateRequest.forTeacher(REGISTRY.get("openai-api"), "student").withPermission(permission()));

        GateDecision d = approval.decision();
        assertThat(d.proceeds()).isTrue();
        assertThat(d.verdict()).isEqualTo(OutputsForTraining.PROHIBITED);
        assertThat(d.permission()).contains(permission());
        assertThat(d.reason()).contains("OpenAI research agreement #42");
        @SuppressWarnings("unchecked")
        Map<String, Object> p = (Map<String, Object>) d.toMap().get("permission");
        assertThat(p)
                .containsEntry("recorded_by", "alice@example.org")
                .containsEntry("recorded_at", "2026-11-28T09:30:00Z");
    }

    @Test
    void permissionDoesNotWaiveNamingConditions() {
        GateDecision d = gate.evaluate(
                GateRequest.forTeacher(REGISTRY.get("llama-4"), "student").withPermission(permission()));
        assertThat(d.proceeds()).isFalse();
        assertThat(d.suggestedStudentName()).contains("Llama-student");
    }

    @Test
    void unknownTermsRefuseUnlessAcknowledged() throws Exception {
        GateRequest request = GateRequest.unknownTeacher("student");

        GateDecision refused = gate.evaluate(request);
        assertThat(refused.proceeds()).isFalse();
        assertThat(refused.verdict()).isEqualTo(OutputsForTraining.UNKNOWN);
        assertThat(refused.reason()).contains("no terms were declared").contains("--acknowledge-unknown-terms");

        GateApproval approval = approve(request.acknowledgingUnknownTerms());
        assertThat(approval.decision().unknownTermsAcknowledged()).isTrue();
        assertThat(approval.decision().teacherTerms()).isEmpty();
        assertThat(approval.toMap()).containsEntry("teacher_terms", null).containsEntry("outcome", "proceed");
    }

    @Test
    void anEntryWhoseVerdictIsUnknownIsTreatedAsUnknown() {
        TermsEntry unknown = new TermsEntry(
                "mystery",
                "Mystery model",
                OutputsForTraining.UNKNOWN,
                List.of(),
                "No terms published.",
                URI.create("https://mystery.example"),
                LocalDate.of(2026, 11, 1),
                "");
        GateRequest request = GateRequest.forTeacher(unknown, "student");
        assertThat(gate.evaluate(request).reason()).contains("records its terms as unknown");
        assertThat(gate.evaluate(request.acknowledgingUnknownTerms()).proceeds())
                .isTrue();
    }

    @Test
    void decisionMapIsJsonSerialisable() throws Exception {
        GateDecision d = gate.evaluate(GateRequest.forTeacher(REGISTRY.get("llama-3.3"), "Llama-mini"));

        String json = new ObjectMapper().writeValueAsString(d.toMap());
        @SuppressWarnings("unchecked")
        Map<String, Object> back = new ObjectMapper().readValue(json, Map.class);

        assertThat(back)
                .containsEntry("outcome", "proceed")
                .containsEntry("verdict", "conditional")
                .containsEntry("student_name", "Llama-mini")
                .containsEntry("attribution_notices", List.of("Built with Llama"))
                .containsEntry("decided_at", "2026-11-29T12:00:00Z")
                .containsKeys("teacher_terms", "enforced_conditions", "outstanding_conditions", "reason");
        @SuppressWarnings("unchecked")
        Map<String, Object> terms = (Map<String, Object>) back.get("teacher_terms");
        assertThat(terms).containsEntry("id", "llama-3.3").containsKeys("clause", "source", "read_on");
    }

    @Test
    void approvalCannotBeCreatedOutsideTheGate() {
        assertThat(GateApproval.class.getDeclaredConstructors()).allSatisfy(c -> {
            assertThat(Modifier.isPublic(c.getModifiers())).isFalse();
            assertThat(Modifier.isProtected(c.getModifiers())).isFalse();
        });
        assertThat(Modifier.isFinal(GateApproval.class.getModifiers())).isTrue();
        GateDecision refused = gate.evaluate(GateRequest.unknownTeacher("student"));
        assertThatThrownBy(() -> new GateApproval(refused, TEACHER)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void recordsRejectInvalidValues() {
        assertThatThrownBy(() -> new Permission(" ", "me", NOW)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GateRequest.unknownTeacher("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Condition.UserThreshold(0, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TermsEntry(
                        "Bad Id",
                        "n",
                        OutputsForTraining.ALLOWED,
                        List.of(),
                        "c",
                        URI.create("https://x.example"),
                        LocalDate.of(2026, 1, 1),
                        null))
                .hasMessageContaining("lower-case");
        assertThatThrownBy(() -> new TermsEntry(
                        "ok",
                        "n",
                        OutputsForTraining.ALLOWED,
                        List.of(),
                        "c",
                        URI.create("file:///etc/passwd"),
                        LocalDate.of(2026, 1, 1),
                        null))
                .hasMessageContaining("http(s) URL");
    }
}
