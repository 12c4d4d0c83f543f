/**
 * Licence-aware distillation: whether a teacher may be distilled is a question of its terms.
 *
 * <ul>
 *   <li>{@link org.distill4j.terms.TermsRegistry} holds declared terms ({@link
 *       org.distill4j.terms.TermsEntry}) shipped as data in {@code registry.yaml}, plus optional
 *       user files of the same schema, validated on load ({@link
 *       org.distill4j.terms.TermsException}).
 *   <li>{@link org.distill4j.terms.DistillationGate} turns a teacher's terms, the student's name,
 *       an optional recorded {@link org.distill4j.terms.Permission} and an acknowledgement flag
 *       into a {@link org.distill4j.terms.GateDecision}; only the gate can mint the {@link
 *       org.distill4j.terms.GateApproval} that training code demands as a parameter.
 * </ul>
 *
 * <p>The registry records terms as read on a date. It is not legal advice; see {@code
 * docs/terms.md}.
 */
package org.distill4j.terms;
