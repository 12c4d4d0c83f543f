package org.distill4j.terms;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides whether a teacher may be distilled into a named student, from the teacher's declared
 * terms. Stateless apart from its clock; thread-safe.
 *
 * <ul>
 *   <li><b>allowed</b>: proceed.
 *   <li><b>conditional</b>: proceed if the machine-enforceable conditions hold; conditions the gate
 *       cannot check are listed as outstanding.
 *   <li><b>prohibited</b>: refuse with the clause, its source and how to record a permission
 *       ({@value #PERMISSION_FLAG}); with a recorded {@link Permission}, proceed and record it.
 *   <li><b>unknown</b> (no terms, or an entry whose verdict is unknown): refuse unless the user
 *       acknowledged it ({@value #ACKNOWLEDGE_FLAG}).
 * </ul>
 *
 * <p>Whenever the gate would proceed, it also enforces: a {@code name_prefix} condition must hold
 * for the student name, and {@code attribution_notice} texts are returned in the decision for the
 * model card. A missing name prefix is a <em>refusal</em> that names the required prefix and
 * offers a corrected name ({@link GateDecision#suggestedStudentName()}); the gate never renames
 * silently, because the student's name is what the user publishes and what paths and cards
 * already refer to. A permission does not waive conditions: it answers a prohibition only.
 */
public final class DistillationGate {

    /** The CLI flag that records a {@link Permission}; named in refusal messages. */
    public static final String PERMISSION_FLAG = "--permission";

    /** The CLI flag that acknowledges unknown terms; named in refusal messages. */
    public static final String ACKNOWLEDGE_FLAG = "--acknowledge-unknown-terms";

    private final Clock clock;

    /** A gate that timestamps decisions with the UTC system clock. */
    public DistillationGate() {
        this(Clock.systemUTC());
    }

    /** A gate that timestamps decisions with {@code clock} (fixed in tests). */
    public DistillationGate(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Decides without throwing; a refusal comes back as a decision with outcome REFUSE. Use this to
     * preview (e.g. a dry run); use {@link #approve(GateRequest)} to obtain what training needs.
     */
    public GateDecision evaluate(GateRequest request) {
        Objects.requireNonNull(request, "request");
        Optional<TermsEntry> terms = request.teacherTerms();
        OutputsForTraining verdict = request.ownModel()
                ? OutputsForTraining.OWN_MODEL
                : terms.map(TermsEntry::outputsForTraining).orElse(OutputsForTraining.UNKNOWN);
        List<Condition> conditions = terms.map(TermsEntry::conditions).orElse(List.of());

        List<String> notices = new ArrayList<>();
        List<Condition> enforced = new ArrayList<>();
        List<Condition> outstanding = new ArrayList<>();
        List<String> missingPrefixes = new ArrayList<>();
        for (Condition c : conditions) {
            if (c instanceof Condition.NamePrefix p) {
                enforced.add(c);
                if (!request.studentName().startsWith(p.value())) {
                    missingPrefixes.add(p.value());
                }
            } else if (c instanceof Condition.AttributionNotice a) {
                enforced.add(c);
                notices.add(a.text());
            } else {
                outstanding.add(c);
            }
        }

        Builder b = new Builder(request, verdict, notices, enforced, outstanding);
        switch (verdict) {
            case PROHIBITED -> {
                if (request.permission().isEmpty()) {
                    return b.refuse(prohibitedMessage(terms.orElseThrow()));
                }
            }
            case UNKNOWN -> {
                if (!request.unknownTermsAcknowledged()) {
                    return b.refuse(unknownMessage(terms));
                }
            }
            case ALLOWED, CONDITIONAL, OWN_MODEL -> {
                // Nothing to refuse on the verdict alone; conditions are checked below.
            }
        }
        if (!missingPrefixes.isEmpty()) {
            String suggestion = suggestName(request.studentName(), missingPrefixes);
            return b.suggest(suggestion)
                    .refuse(namingMessage(terms.orElseThrow(), request.studentName(), missingPrefixes, suggestion));
        }
        return b.proceed(proceedMessage(terms, verdict, request, notices, outstanding));
    }

    /**
     * Decides and throws the refusal, without issuing an approval: the check to make before any
     * costly work (training a teacher, calling an API) while the teacher's identity is not known
     * yet. Training still needs {@link #approve(GateRequest)} once it is.
     *
     * @return the decision, which proceeds
     * @throws DistillationRefusedException when the gate refuses; it carries the decision
     */
    public GateDecision check(GateRequest request) throws DistillationRefusedException {
        GateDecision decision = evaluate(request);
        if (!decision.proceeds()) {
            throw new DistillationRefusedException(decision);
        }
        return decision;
    }

    /**
     * Decides and, if the decision proceeds, issues the approval training code requires. The
     * approval is bound to the request's teacher: the trainer refuses it for any other.
     *
     * @throws DistillationRefusedException when the gate refuses; it carries the decision
     * @throws IllegalArgumentException if the request names no teacher ({@link
     *     GateRequest#withTeacher})
     */
    public GateApproval approve(GateRequest request) throws DistillationRefusedException {
        Objects.requireNonNull(request, "request");
        if (request.teacher().isEmpty()) {
            throw new IllegalArgumentException("an approval is bound to one teacher: name it with "
                    + "GateRequest.withTeacher(teacher.identity()) before asking the gate to approve");
        }
        GateDecision decision = evaluate(request);
        if (!decision.proceeds()) {
            throw new DistillationRefusedException(decision);
        }
        return new GateApproval(decision, request.teacher().get());
    }

    /** Prepends missing prefixes; a case-only mismatch ("llama-x") is corrected in place. */
    static String suggestName(String name, List<String> prefixes) {
        String out = name;
        for (String prefix : prefixes) {
            if (out.startsWith(prefix)) {
                continue;
            }
            if (out.regionMatches(true, 0, prefix, 0, prefix.length())) {
                out = prefix + out.substring(prefix.length());
            } else {
                out = prefix + "-" + out;
            }
        }
        return out;
    }

    private static String describe(TermsEntry e) {
        return "\"" + e.name() + "\" (" + e.id() + ")";
    }

    private static String citation(TermsEntry e) {
        return "  Clause: \"" + e.clause() + "\"\n  Source: " + e.source() + " (read on " + e.readOn() + ")"
                + (e.notes().isEmpty() ? "" : "\n  Notes: " + e.notes());
    }

    private static String prohibitedMessage(TermsEntry e) {
        return "Refusing to distil from " + describe(e) + ": its declared terms prohibit using its outputs to train"
                + " other models.\n" + citation(e) + "\n"
                + "If the rights holder has given you permission, record it with " + PERMISSION_FLAG
                + " \"<reference to the permission, e.g. agreement and date>\" and run again; the permission is"
                + " written to the provenance manifest. The registry records terms as read on a date; it is not"
                + " legal advice.";
    }

    private static String unknownMessage(Optional<TermsEntry> terms) {
        String what = terms.map(e ->
                        "the registry entry " + describe(e) + " records its terms as unknown.\n" + citation(e) + "\n")
                .orElse("no terms were declared for the teacher.\n");
        return "Refusing to distil: " + what
                + "Declare the teacher's terms with a registry id (see docs/terms.md; add your own file for terms"
                + " the registry lacks), or, if you have read the terms yourself and accept responsibility, run again"
                + " with " + ACKNOWLEDGE_FLAG + "; the acknowledgement is written to the provenance manifest.";
    }

    private static String namingMessage(TermsEntry e, String name, List<String> prefixes, String suggestion) {
        return "Refusing to distil from " + describe(e) + " into \"" + name + "\": its terms require the name of a"
                + " model trained on its outputs to begin with \"" + String.join("\" and \"", prefixes) + "\".\n"
                + citation(e) + "\n"
                + "Name the student \"" + suggestion + "\" (or any name beginning with \""
                + String.join("\" and \"", prefixes) + "\") and run again.";
    }

    private static String proceedMessage(
            Optional<TermsEntry> terms,
            OutputsForTraining verdict,
            GateRequest r,
            List<String> notices,
            List<Condition> outstanding) {
        StringBuilder sb = new StringBuilder();
        if (verdict == OutputsForTraining.OWN_MODEL) {
            sb.append("Proceeding: the teacher is the user's own model, trained by them on their own data; no"
                    + " third party's terms apply to its outputs.");
        } else if (terms.isEmpty()) {
            sb.append("Proceeding with unknown teacher terms, acknowledged by the user.");
        } else if (verdict == OutputsForTraining.PROHIBITED) {
            sb.append("Proceeding although the terms of ")
                    .append(describe(terms.get()))
                    .append(" prohibit training on outputs, on the recorded permission: ")
                    .append(r.permission().orElseThrow().reference());
        } else if (verdict == OutputsForTraining.UNKNOWN) {
            sb.append("Proceeding with terms recorded as unknown for ")
                    .append(describe(terms.get()))
                    .append(", acknowledged by the user.");
        } else {
            sb.append("Proceeding: the terms of ")
                    .append(describe(terms.get()))
                    .append(" are ")
                    .append(verdict.yamlValue())
                    .append('.');
        }
        if (!notices.isEmpty()) {
            sb.append(" Carry to the model card: \"")
                    .append(String.join("\", \"", notices))
                    .append("\".");
        }
        if (!outstanding.isEmpty()) {
            sb.append(" You must also honour:");
            outstanding.forEach(c -> sb.append("\n  - ").append(c.describe()));
        }
        return sb.toString();
    }

    /** Collects the parts shared by every decision for one request. */
    private final class Builder {
        private final GateRequest request;
        private final OutputsForTraining verdict;
        private final List<String> notices;
        private final List<Condition> enforced;
        private final List<Condition> outstanding;
        private Optional<String> suggestion = Optional.empty();

        Builder(
                GateRequest request,
                OutputsForTraining verdict,
                List<String> notices,
                List<Condition> enforced,
                List<Condition> outstanding) {
            this.request = request;
            this.verdict = verdict;
            this.notices = notices;
            this.enforced = enforced;
            this.outstanding = outstanding;
        }

        Builder suggest(String name) {
            suggestion = Optional.of(name);
            return this;
        }

        GateDecision refuse(String reason) {
            return build(GateDecision.Outcome.REFUSE, reason);
        }

        GateDecision proceed(String reason) {
            return build(GateDecision.Outcome.PROCEED, reason);
        }

        private GateDecision build(GateDecision.Outcome outcome, String reason) {
            return new GateDecision(
                    outcome,
                    verdict,
                    request.teacherTerms(),
                    request.studentName(),
                    suggestion,
                    notices,
                    enforced,
                    outstanding,
                    request.permission(),
                    request.unknownTermsAcknowledged(),
                    reason,
                    clock.instant());
        }
    }
}
