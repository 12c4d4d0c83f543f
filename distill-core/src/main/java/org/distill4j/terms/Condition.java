package org.distill4j.terms;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One typed condition attached to a {@link TermsEntry}. Each variant is an immutable record
 * validated on construction; its YAML {@link #type()} is fixed per variant.
 *
 * <p>{@link #machineEnforceable()} tells the {@link DistillationGate} whether it can check or
 * apply the condition itself ({@link NamePrefix}: checked against the student name; {@link
 * AttributionNotice}: returned in the decision so it is carried to the model card). Every other
 * condition is listed in the decision as outstanding: the user must honour it.
 */
public sealed interface Condition {

    /** The YAML {@code type} value of this variant, e.g. {@code name_prefix}. */
    String type();

    /** Whether the gate checks or applies this condition itself. */
    boolean machineEnforceable();

    /** One human-readable sentence saying what the condition asks. */
    String describe();

    /** JSON-friendly form ({@code type} plus the variant's fields; absent text is omitted). */
    default Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("type", type());
        putFields(map);
        return map;
    }

    /** Adds this variant's fields to {@code map}; used by {@link #toMap()}. */
    void putFields(Map<String, Object> map);

    /**
     * A distributed student's name must begin with {@code value} (Llama 3.1+: "Llama").
     *
     * @param value the required prefix, non-blank
     */
    record NamePrefix(String value) implements Condition {
        public NamePrefix {
            value = Texts.requireNonBlank(value, "value");
        }

        @Override
        public String type() {
            return "name_prefix";
        }

        @Override
        public boolean machineEnforceable() {
            return true;
        }

        @Override
        public String describe() {
            return "the student's name must begin with \"" + value + "\"";
        }

        @Override
        public void putFields(Map<String, Object> map) {
            map.put("value", value);
        }
    }

    /**
     * A notice (e.g. "Built with Llama") must be displayed with the student; the gate returns it so
     * it is written to the model card.
     *
     * @param text the exact notice, non-blank
     */
    record AttributionNotice(String text) implements Condition {
        public AttributionNotice {
            text = Texts.requireNonBlank(text, "text");
        }

        @Override
        public String type() {
            return "attribution_notice";
        }

        @Override
        public boolean machineEnforceable() {
            return true;
        }

        @Override
        public String describe() {
            return "display \"" + text + "\" with the student (carried to the model card)";
        }

        @Override
        public void putFields(Map<String, Object> map) {
            map.put("text", text);
        }
    }

    /**
     * Above a monthly-active-user count a separate licence is needed. The gate cannot know the
     * user's audience, so this stays outstanding.
     *
     * @param monthlyActiveUsers the threshold, positive
     * @param text what the terms say happens above it; empty when not recorded
     */
    record UserThreshold(long monthlyActiveUsers, String text) implements Condition {
        public UserThreshold {
            if (monthlyActiveUsers <= 0) {
                throw new IllegalArgumentException("monthly_active_users must be positive, got " + monthlyActiveUsers);
            }
            text = Texts.orEmpty(text);
        }

        @Override
        public String type() {
            return "user_threshold";
        }

        @Override
        public boolean machineEnforceable() {
            return false;
        }

        @Override
        public String describe() {
            return "above " + String.format("%,d", monthlyActiveUsers) + " monthly active users"
                    + (text.isEmpty() ? " a separate licence is required" : ": " + text);
        }

        @Override
        public void putFields(Map<String, Object> map) {
            map.put("monthly_active_users", monthlyActiveUsers);
            Texts.putIfPresent(map, "text", text);
        }
    }

    /**
     * Use is limited to non-commercial purposes.
     *
     * @param text detail; empty when not recorded
     */
    record NonCommercial(String text) implements Condition {
        public NonCommercial {
            text = Texts.orEmpty(text);
        }

        @Override
        public String type() {
            return "non_commercial";
        }

        @Override
        public boolean machineEnforceable() {
            return false;
        }

        @Override
        public String describe() {
            return "non-commercial use only" + (text.isEmpty() ? "" : ": " + text);
        }

        @Override
        public void putFields(Map<String, Object> map) {
            Texts.putIfPresent(map, "text", text);
        }
    }

    /**
     * The student is bound by the teacher's use restrictions and must pass them on to its users.
     *
     * @param text detail; empty when not recorded
     */
    record PassThroughUseRestrictions(String text) implements Condition {
        public PassThroughUseRestrictions {
            text = Texts.orEmpty(text);
        }

        @Override
        public String type() {
            return "pass_through_use_restrictions";
        }

        @Override
        public boolean machineEnforceable() {
            return false;
        }

        @Override
        public String describe() {
            return "the teacher's use restrictions bind the student and must be passed on"
                    + (text.isEmpty() ? "" : ": " + text);
        }

        @Override
        public void putFields(Map<String, Object> map) {
            Texts.putIfPresent(map, "text", text);
        }
    }

    /**
     * A copy of the licence or a notice file must accompany what is distributed.
     *
     * @param text detail; empty when not recorded
     */
    record LicenceNotice(String text) implements Condition {
        public LicenceNotice {
            text = Texts.orEmpty(text);
        }

        @Override
        public String type() {
            return "licence_notice";
        }

        @Override
        public boolean machineEnforceable() {
            return false;
        }

        @Override
        public String describe() {
            return "include the licence or notice" + (text.isEmpty() ? "" : ": " + text);
        }

        @Override
        public void putFields(Map<String, Object> map) {
            Texts.putIfPresent(map, "text", text);
        }
    }

    /**
     * Any other condition, described in prose.
     *
     * @param text what the condition asks, non-blank
     */
    record Other(String text) implements Condition {
        public Other {
            text = Texts.requireNonBlank(text, "text");
        }

        @Override
        public String type() {
            return "other";
        }

        @Override
        public boolean machineEnforceable() {
            return false;
        }

        @Override
        public String describe() {
            return text;
        }

        @Override
        public void putFields(Map<String, Object> map) {
            map.put("text", text);
        }
    }
}
