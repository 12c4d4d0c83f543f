package org.distill4j.audit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an audit found.
 *
 * @param teacher the teacher's name
 * @param suspect the suspect's name
 * @param references the references' names, in order
 * @param referencesTrained whether the references were trained by the audit from a recipe
 * @param probesPerModel probes each model was scored on (the suspect was asked exactly these)
 * @param probeComposition probes per kind: {@code data}, {@code boundary}, {@code mixture},
 *     {@code disagreement}
 * @param queries rows each model was asked about, by name (teacher and references are also asked
 *     about the candidate pool the probes are chosen from)
 * @param suspectScore the suspect's idiosyncrasy correlation with the teacher, in [-1, 1]: the
 *     cosine between the teacher's and the suspect's deviations from the references' consensus
 *     (row-centred log-probabilities) over the suspect's probes
 * @param referenceScores the same for each reference (the consensus then excludes it)
 * @param suspectDivergence the suspect's mean Jensen-Shannon divergence to the teacher over its
 *     probes, in nats
 * @param referenceDivergences each reference's mean Jensen-Shannon divergence to the teacher, nats
 * @param suspectAgreement share of the suspect's disagreement probes (where other models
 *     disagree with the teacher) on which it gives the teacher's top-1 answer, in [0, 1]
 * @param referenceAgreements the same for each reference
 * @param statistic the test statistic t (positive: the suspect is closer to the teacher)
 * @param degreesOfFreedom the t distribution's degrees of freedom: references - 1 (null models - 1 with null models)
 * @param pValue the one-sided p-value of the primary test (see {@link #TEST})
 * @param rankPValue the distribution-free rank p-value, at least 1 / (references + 1) (null models + 1)
 * @param effectSize how many reference standard deviations (of the Fisher-transformed score) the
 *     suspect's score lies above the references' mean
 * @param divergenceRatio the references' geometric-mean Jensen-Shannon divergence to the teacher
 *     over the suspect's (above 1: the suspect is closer)
 * @param alpha the significance level of the verdict
 * @param distilled the verdict: {@code pValue < alpha}
 * @param suspectProbeDivergences the suspect's divergence on each probe, for the report
 * @param referenceProbeDivergences the references' divergences on their probes, pooled
 * @param nullModels the null models' names (empty when the test used the references' scores)
 * @param nullScores the null models' idiosyncrasy correlations, each scored exactly like the
 *     suspect (its probes, its consensus); when present, the test compares the suspect with these
 */
public record AuditResult(
        String teacher,
        String suspect,
        List<String> references,
        boolean referencesTrained,
        int probesPerModel,
        Map<String, Integer> probeComposition,
        Map<String, Long> queries,
        double suspectScore,
        List<Double> referenceScores,
        double suspectDivergence,
        List<Double> referenceDivergences,
        double suspectAgreement,
        List<Double> referenceAgreements,
        double statistic,
        int degreesOfFreedom,
        double pValue,
        double rankPValue,
        double effectSize,
        double divergenceRatio,
        double alpha,
        boolean distilled,
        double[] suspectProbeDivergences,
        double[] referenceProbeDivergences,
        List<String> nullModels,
        List<Double> nullScores) {

    /** The test with null models, as reports state it. */
    public static final String NULL_MODEL_TEST = "One-sided t prediction test at the model level, against null "
            + "models. The references make the consensus (mean of row-centred log-probabilities clipped at ln 1e-6) "
            + "and choose the disagreement probes; the suspect and each of K null models (independent models like "
            + "the suspect) are asked about the same probes and scored the same way: s = atanh(r), r the cosine "
            + "between the teacher's and the model's deviations from that consensus. Under H0 the suspect is "
            + "exchangeable with the null models and their scores are i.i.d. normal; then t = (s_suspect - "
            + "mean(s_null)) / (sd(s_null) * sqrt(1 + 1/K)) follows Student's t with K - 1 degrees of freedom, "
            + "and p = P(T >= t).";

    /** The primary test, as reports state it. */
    public static final String TEST = "One-sided t prediction test at the model level. The score of a model is "
            + "s = atanh(r), where r is its idiosyncrasy correlation: the cosine, over its probes and classes, between "
            + "the teacher's and the model's deviations from the other models' consensus (mean of row-centred "
            + "log-probabilities clipped at ln 1e-6). Under H0 the suspect is one "
            + "more independent model, exchangeable with the references, and the scores of independent models are "
            + "i.i.d. normal; then t = (s_suspect - mean(s_ref)) / (sd(s_ref) * sqrt(1 + 1/R)) follows Student's t "
            + "with R - 1 degrees of freedom, and p = P(T >= t). Probes and consensus that depend on references are "
            + "computed, for each scored model, from R - 1 other references only (leave-self-out; for the suspect, "
            + "all references but one drawn at random), so they do not break exchangeability.";

    /**
     * What each model was asked, by role and name, as {@link #queries()} lists it.
     *
     * @param count how many queries (rows, windows) a model answered
     */
    static <M> Map<String, Long> queriesOf(
            M suspect,
            M teacher,
            List<? extends M> references,
            List<? extends M> nullModels,
            java.util.function.Function<M, String> name,
            java.util.function.ToLongFunction<M> count) {
        Map<String, Long> spent = new LinkedHashMap<>();
        spent.put("suspect " + name.apply(suspect), count.applyAsLong(suspect));
        spent.put("teacher " + name.apply(teacher), count.applyAsLong(teacher));
        for (M r : references) {
            spent.put("reference " + name.apply(r), count.applyAsLong(r));
        }
        for (M m : nullModels) {
            spent.put("null model " + name.apply(m), count.applyAsLong(m));
        }
        return spent;
    }

    /** The references' typical divergence from the teacher: the geometric mean, each floored at 1e-12. */
    static double typicalDivergence(List<Double> divergences) {
        return Math.exp(divergences.stream()
                .mapToDouble(v -> Math.log(Math.max(v, 1e-12)))
                .average()
                .orElseThrow());
    }

    /** Returns the verdict as a sentence. */
    public String verdict() {
        return distilled
                ? String.format(
                        java.util.Locale.ROOT,
                        "DISTILLED: the suspect is closer to the teacher than "
                                + "independent models are (p = %.3g < alpha = %s)",
                        pValue,
                        alpha)
                : String.format(
                        java.util.Locale.ROOT,
                        "NOT SHOWN: no evidence at alpha = %s that the suspect is closer "
                                + "to the teacher than independent models are (p = %.3g)",
                        alpha,
                        pValue);
    }

    /** Returns the result as JSON-ready values (no per-probe arrays). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("teacher", teacher);
        m.put("suspect", suspect);
        m.put("references", references);
        m.put("references_trained", referencesTrained);
        m.put("test", nullModels.isEmpty() ? TEST : NULL_MODEL_TEST);
        m.put("verdict", distilled ? "distilled" : "not_shown");
        m.put("verdict_text", verdict());
        m.put("alpha", alpha);
        m.put("p_value", pValue);
        m.put("rank_p_value", rankPValue);
        m.put("statistic_t", statistic);
        m.put("degrees_of_freedom", degreesOfFreedom);
        m.put("effect_size_sd", effectSize);
        m.put("suspect_idiosyncrasy_correlation", suspectScore);
        m.put("reference_idiosyncrasy_correlations", referenceScores);
        if (!nullModels.isEmpty()) {
            m.put("null_models", nullModels);
            m.put("null_model_idiosyncrasy_correlations", nullScores);
        }
        m.put("divergence_ratio", divergenceRatio);
        m.put("suspect_js_divergence", suspectDivergence);
        m.put("reference_js_divergences", referenceDivergences);
        m.put("suspect_agreement_on_disagreement_probes", suspectAgreement);
        m.put("reference_agreements_on_disagreement_probes", referenceAgreements);
        m.put("probes_per_model", probesPerModel);
        m.put("probe_composition", probeComposition);
        m.put("queries", queries);
        return m;
    }
}
