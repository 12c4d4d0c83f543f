package org.distill4j.terms;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Proof that the {@link DistillationGate} let a distillation proceed. Training code takes one as a
 * parameter so it cannot run without the gate: the constructor is package-private and only {@link
 * DistillationGate#approve(GateRequest)} calls it, always with a decision that proceeds.
 *
 * <p>Carry {@link #attributionNotices()} to the student's model card and write {@link #toMap()}
 * to the provenance manifest.
 */
public final class GateApproval {

    private final GateDecision decision;

    GateApproval(GateDecision decision) {
        Objects.requireNonNull(decision, "decision");
        if (!decision.proceeds()) {
            throw new IllegalArgumentException("an approval needs a decision that proceeds, got: " + decision.reason());
        }
        this.decision = decision;
    }

    /** The decision this approval was issued for. */
    public GateDecision decision() {
        return decision;
    }

    /** The approved student name (it satisfies every required name prefix). */
    public String studentName() {
        return decision.studentName();
    }

    /** Notices that must appear on the student's model card, e.g. "Built with Llama". */
    public List<String> attributionNotices() {
        return decision.attributionNotices();
    }

    /** JSON-friendly decision, for the provenance manifest. */
    public Map<String, Object> toMap() {
        return decision.toMap();
    }

    @Override
    public String toString() {
        return "GateApproval[" + decision.studentName() + ": " + decision.reason() + "]";
    }
}
