package org.distill4j.terms;

/**
 * The {@link DistillationGate} refused: the message says why and what to do, and {@link
 * #decision()} carries the full decision (for the CLI and the manifest of a refused run). Checked
 * so that callers must handle a refusal explicitly rather than let it pass unnoticed.
 */
public class DistillationRefusedException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient GateDecision decision;

    DistillationRefusedException(GateDecision decision) {
        super(decision.reason());
        this.decision = decision;
    }

    /** The refusing decision. */
    public GateDecision decision() {
        return decision;
    }
}
