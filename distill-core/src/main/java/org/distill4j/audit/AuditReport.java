package org.distill4j.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.distill4j.io.AtomicFiles;

/**
 * Writes an audit's result: {@value #JSON} (every number, machine-readable) and {@value #HTML} (a
 * self-contained page with the verdict, the test and the distributions as inline SVG), each
 * atomically.
 */
public final class AuditReport {

    /** File name of the JSON result. */
    public static final String JSON = "audit.json";
    /** File name of the HTML report. */
    public static final String HTML = "audit.html";

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AuditReport() {}

    /** Writes both files into {@code dir} (created if needed). */
    public static void write(AuditResult r, Path dir) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.write(dir.resolve(JSON), MAPPER.writeValueAsBytes(r.toMap()));
        AtomicFiles.write(dir.resolve(HTML), html(r).getBytes(StandardCharsets.UTF_8));
    }

    static String html(AuditResult r) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>distill4j audit</title>")
                .append("<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:2px 8px;"
                        + "text-align:left}.v{font-size:1.3em;font-weight:bold}</style></head><body>");
        h.append("<h1>Distillation audit</h1>");
        h.append("<p class=\"v\">").append(esc(r.verdict())).append("</p>");
        h.append("<table>");
        row(h, "Teacher", r.teacher());
        row(h, "Suspect", r.suspect());
        row(
                h,
                "References",
                r.references().size()
                        + (r.referencesTrained() ? " (trained by this audit from a recipe)" : " (given)"));
        row(h, "p-value (t test)", fmt(r.pValue()));
        boolean nulls = !r.nullModels().isEmpty();
        // The rank is taken among the test's sample: the null models when there are any.
        int sample = nulls ? r.nullModels().size() : r.references().size();
        row(h, "Rank p-value (distribution-free, min " + fmt(1.0 / (sample + 1)) + ")", fmt(r.rankPValue()));
        row(h, "t, degrees of freedom", fmt(r.statistic()) + ", " + r.degreesOfFreedom());
        boolean positions = r.probeComposition().containsKey("positions"); // a language-model audit
        row(h, "Effect size (" + (nulls ? "null-model" : "reference") + " SDs of atanh r)", fmt(r.effectSize()));
        row(h, "Idiosyncrasy correlation with the teacher: suspect", fmt(r.suspectScore()));
        row(h, "... references", list(r.referenceScores()));
        if (nulls) {
            row(h, "... null models (the test's sample: " + r.nullModels().size() + ")", list(r.nullScores()));
            if (r.nullModels().size() < DistillationAudit.RECOMMENDED_NULL_MODELS) {
                row(
                        h,
                        "Note",
                        "fewer than " + DistillationAudit.RECOMMENDED_NULL_MODELS
                                + " null models: the test stays valid, but one unlucky draw of them flags honest "
                                + "models more often (docs/audit.md, \"Twenty null models\")");
            }
        }
        row(h, "JS ratio (references / suspect)", fmt(r.divergenceRatio()));
        row(h, "Suspect mean JS to teacher (nats)", fmt(r.suspectDivergence()));
        row(h, "References' mean JS to teacher (nats)", list(r.referenceDivergences()));
        row(
                h,
                positions
                        ? "Top-1 agreement with the teacher over all positions: suspect"
                        : "Agreement with teacher on disagreement probes: suspect",
                fmt(r.suspectAgreement()));
        row(h, "... references", list(r.referenceAgreements()));
        row(h, "Probes per model", r.probesPerModel() + " " + r.probeComposition());
        for (Map.Entry<String, Long> e : r.queries().entrySet()) {
            row(h, "Queries: " + e.getKey(), Long.toString(e.getValue()));
        }
        h.append("</table>");
        h.append("<h2>Model-level scores</h2><p>Idiosyncrasy correlation with the teacher (the test's score); grey: "
                + "references, red: suspect. Further right shares more of the teacher's idiosyncrasies.</p>");
        double[] refs =
                r.referenceScores().stream().mapToDouble(Double::doubleValue).toArray();
        h.append(strip(refs, r.suspectScore()));
        h.append("<h2>Per-probe divergences</h2><p>Histogram of log10 Jensen-Shannon divergence per probe; grey: all "
                + "references pooled, red: suspect (each normalised to its own count).</p>");
        h.append(histogram(r.referenceProbeDivergences(), r.suspectProbeDivergences()));
        h.append("<h2>The test</h2><p>")
                .append(esc(nulls ? AuditResult.NULL_MODEL_TEST : AuditResult.TEST))
                .append("</p>");
        if (positions) {
            h.append(
                    "<p>A language-model audit: each probe is a next-token position of the probe texts, and the"
                            + " classes compared at a position are the teacher's 20 most likely next tokens (docs/audit.md).</p>");
        }
        h.append("<p>The rank p-value assumes only exchangeability, but cannot go below 1/(R+1) with R references; "
                + "the t test reaches finer p-values by assuming normal scores. Probes are not treated as independent "
                + "samples: the models, not the probes, are the units of the test.</p>");
        h.append("</body></html>\n");
        return h.toString();
    }

    private static String strip(double[] refs, double suspect) {
        double lo = Math.min(suspect, Arrays.stream(refs).min().orElse(suspect));
        double hi = Math.max(suspect, Arrays.stream(refs).max().orElse(suspect));
        double pad = Math.max(0.1, 0.1 * (hi - lo));
        lo -= pad;
        hi += pad;
        int w = 800;
        int hgt = 80;
        StringBuilder s = new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w + "\" height=\""
                + hgt + "\"><line x1=\"20\" y1=\"40\" x2=\"780\" y2=\"40\" stroke=\"#888\"/>");
        for (double v : refs) {
            s.append(String.format(
                    Locale.ROOT,
                    "<circle cx=\"%.1f\" cy=\"40\" r=\"7\" fill=\"#999\" "
                            + "fill-opacity=\"0.7\"><title>reference %.3f</title></circle>",
                    x(v, lo, hi, w),
                    v));
        }
        s.append(String.format(
                Locale.ROOT,
                "<circle cx=\"%.1f\" cy=\"40\" r=\"9\" fill=\"#d62728\"><title>suspect %.3f" + "</title></circle>",
                x(suspect, lo, hi, w),
                suspect));
        s.append(String.format(
                Locale.ROOT,
                "<text x=\"20\" y=\"75\" font-size=\"12\">%.2f</text><text x=\"740\" "
                        + "y=\"75\" font-size=\"12\">%.2f</text></svg>",
                lo,
                hi));
        return s.toString();
    }

    private static String histogram(double[] refs, double[] suspect) {
        int bins = 40;
        double lo = -7;
        double hi = Math.log10(Math.log(2));
        double[] a = counts(refs, bins, lo, hi);
        double[] b = counts(suspect, bins, lo, hi);
        double max = 1e-9;
        for (int i = 0; i < bins; i++) {
            max = Math.max(max, Math.max(a[i], b[i]));
        }
        int w = 800;
        int hgt = 220;
        double bw = (w - 40) / (double) bins;
        StringBuilder s = new StringBuilder(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w + "\" height=\"" + hgt + "\">");
        for (int i = 0; i < bins; i++) {
            double ha = 180 * a[i] / max;
            double hb = 180 * b[i] / max;
            s.append(String.format(
                    Locale.ROOT,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                            + "fill=\"#999\" fill-opacity=\"0.6\"/>",
                    20 + i * bw,
                    190 - ha,
                    bw,
                    ha));
            s.append(String.format(
                    Locale.ROOT,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                            + "fill=\"#d62728\" fill-opacity=\"0.5\"/>",
                    20 + i * bw,
                    190 - hb,
                    bw,
                    hb));
        }
        s.append(String.format(
                Locale.ROOT,
                "<text x=\"20\" y=\"210\" font-size=\"12\">1e%.0f</text><text x=\"730\" "
                        + "y=\"210\" font-size=\"12\">ln 2</text></svg>",
                lo));
        return s.toString();
    }

    private static double[] counts(double[] v, int bins, double lo, double hi) {
        double[] c = new double[bins];
        for (double d : v) {
            double l = Math.log10(Math.max(d, 1e-12));
            int b = (int) Math.floor((l - lo) / (hi - lo) * bins);
            c[Math.max(0, Math.min(bins - 1, b))] += 1.0 / Math.max(1, v.length);
        }
        return c;
    }

    private static double x(double v, double lo, double hi, int w) {
        return 20 + (v - lo) / (hi - lo) * (w - 40);
    }

    private static void row(StringBuilder h, String k, String v) {
        h.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>");
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    private static String list(List<Double> v) {
        return v.stream().map(AuditReport::fmt).toList().toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
