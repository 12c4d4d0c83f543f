package org.distill4j.teacher.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The soft-label extraction on hand-written chat-completion logprobs. */
class LabelLogprobsTest {

    private static final ObjectMapper JSON = JournalJson.MAPPER;

    /** Parses {@code choices[0].logprobs.content} given as JSON (single quotes for readability). */
    private static List<LabelLogprobs.Position> content(String json) throws Exception {
        return LabelLogprobs.parse(JSON.readTree(json.replace('\'', '"')));
    }

    private static String tok(String token, double p, String top) {
        return "{'token':'" + token + "','logprob':" + Math.log(p) + ",'bytes':null,'top_logprobs':[" + top + "]}";
    }

    private static String alt(String token, double p) {
        return "{'token':'" + token + "','logprob':" + Math.log(p) + "}";
    }

    private static double[] probs(LabelLogprobs.Result r) {
        double[] p = new double[r.logprobs().length];
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(r.logprobs()[i]);
        }
        return p;
    }

    @Test
    void singleTokenLabelsTakeTheirListedProbabilitiesAndOutsideMassIsRenormalisedAway() throws Exception {
        var r = LabelLogprobs.extract(
                content("["
                        + tok(
                                " pos",
                                0.6,
                                alt(" pos", 0.6) + "," + alt(" neg", 0.25) + "," + alt(" The", 0.1) + ","
                                        + alt(" neu", 0.04))
                        + "]"),
                List.of("pos", "neg", "neu"));
        // " The" (0.1) and the unlisted rest (0.01) are outside mass.
        assertThat(r.outsideMass()).isCloseTo(0.11, within(1e-9));
        assertThat(probs(r)).containsExactly(new double[] {0.6 / 0.89, 0.25 / 0.89, 0.04 / 0.89}, within(1e-9));
    }

    @Test
    void matchingIgnoresCaseAndLeadingWhitespaceAndSkipsLeadingWhitespaceTokens() throws Exception {
        // A leading newline token (probability 0.9) is conditioned on, not counted.
        var r = LabelLogprobs.extract(
                content("[" + tok("\\n", 0.9, alt("\\n", 0.9) + "," + alt("Sure", 0.1)) + ","
                        + tok(" Positive", 0.7, alt(" Positive", 0.7) + "," + alt("NEGATIVE", 0.3)) + "]"),
                List.of("positive", "Negative"));
        assertThat(r.outsideMass()).isCloseTo(0, within(1e-9));
        assertThat(probs(r)).containsExactly(new double[] {0.7, 0.3}, within(1e-9));
    }

    @Test
    void multiTokenLabelsSharingAPrefixFollowTheGeneratedPath() throws Exception {
        // lib | libdevel | doc; generated "lib" + "devel".
        var r = LabelLogprobs.extract(
                content("["
                        + tok("lib", 0.7, alt("lib", 0.7) + "," + alt("doc", 0.2) + "," + alt("x", 0.1)) + ","
                        + tok("devel", 0.6, alt("devel", 0.6) + "," + alt("\\n", 0.3) + "," + alt("s", 0.1)) + "]"),
                List.of("lib", "libdevel", "doc"));
        // libdevel: 0.7*0.6 (generation ends after it); lib: 0.7 * 0.3 (the boundary "\n"); doc: 0.2.
        double total = 0.42 + 0.21 + 0.2;
        assertThat(probs(r)).containsExactly(new double[] {0.21 / total, 0.42 / total, 0.2 / total}, within(1e-9));
        assertThat(r.outsideMass()).isCloseTo(1 - total, within(1e-9));
    }

    @Test
    void aLabelThatExtendsAnotherWithASpaceOrHyphenTakesTheTokensThatCarryItOn() throws Exception {
        // "new" then " york": the second token carries on "new york"; it is no boundary of "new".
        var r = LabelLogprobs.extract(
                content("[" + tok("new", 1.0, alt("new", 1.0)) + "," + tok(" york", 1.0, alt(" york", 1.0)) + "]"),
                List.of("new", "new york"));
        assertThat(probs(r)[1]).isCloseTo(1.0, within(1e-9));
        var hyphen = LabelLogprobs.extract(
                content("[" + tok("lib", 1.0, alt("lib", 1.0)) + "," + tok("-devel", 1.0, alt("-devel", 1.0)) + "]"),
                List.of("lib", "lib-devel"));
        assertThat(probs(hyphen)[1]).isCloseTo(1.0, within(1e-9));
        // Generated "new" then a newline (0.6), " york" listed (0.4): each label gets its own token.
        var split = LabelLogprobs.extract(
                content("[" + tok("new", 1.0, alt("new", 1.0)) + ","
                        + tok("\\n", 0.6, alt("\\n", 0.6) + "," + alt(" york", 0.4)) + "]"),
                List.of("new", "new york"));
        assertThat(probs(split)).containsExactly(new double[] {0.6, 0.4}, within(1e-9));
    }

    @Test
    void aLabelDivergingAtItsSecondTokenTakesTheAlternativeThatStartsItsRemainder() throws Exception {
        var r = LabelLogprobs.extract(
                content("["
                        + tok("lib", 1.0, alt("lib", 1.0)) + ","
                        + tok("devel", 0.8, alt("devel", 0.8) + "," + alt("te", 0.15) + "," + alt("tests", 0.05))
                        + "]"),
                List.of("libdevel", "libtest"));
        // "te" starts "test"; "tests" does not (it runs on with a letter), so it is outside mass.
        assertThat(probs(r)).containsExactly(new double[] {0.8 / 0.95, 0.15 / 0.95}, within(1e-9));
        assertThat(r.outsideMass()).isCloseTo(0.05, within(1e-9));
    }

    @Test
    void aTokenThatEndsTheLabelWithPunctuationCompletesIt() throws Exception {
        var r = LabelLogprobs.extract(
                content("[" + tok("positive.", 0.5, alt("positive.", 0.5) + "," + alt("negative", 0.5)) + "]"),
                List.of("positive", "negative"));
        assertThat(probs(r)).containsExactly(new double[] {0.5, 0.5}, within(1e-9));
    }

    @Test
    void unseenLabelsShareTheResidualMassEquallyEachCappedAtTheSmallestListedProbability() throws Exception {
        // Listed: a 0.5, b 0.45 -> residual 0.05 shared by c, d, e (1/60 each, under the cap 0.45).
        var r = LabelLogprobs.extract(
                content("[" + tok("a", 0.5, alt("a", 0.5) + "," + alt("b", 0.45)) + "]"),
                List.of("a", "b", "c", "d", "e"));
        double share = 0.05 / 3;
        double total = 0.95 + 3 * share;
        assertThat(probs(r))
                .containsExactly(
                        new double[] {0.5 / total, 0.45 / total, share / total, share / total, share / total},
                        within(1e-9));
        // Cap binds: listed a 0.9, b 0.02 -> residual 0.08, but c cannot exceed b's 0.02.
        var capped = LabelLogprobs.extract(
                content("[" + tok("a", 0.9, alt("a", 0.9) + "," + alt("b", 0.02)) + "]"), List.of("a", "b", "c"));
        assertThat(probs(capped)).containsExactly(new double[] {0.9 / 0.94, 0.02 / 0.94, 0.02 / 0.94}, within(1e-9));
        assertThat(capped.outsideMass()).isCloseTo(0.06, within(1e-9));
    }

    @Test
    void notListedMarkersAreIgnoredAndNeverGiveMinusInfinity() throws Exception {
        var r = LabelLogprobs.extract(
                content("[{'token':'yes','logprob':0.0,'top_logprobs':["
                        + "{'token':'yes','logprob':0.0},{'token':'no','logprob':-9999.0}]}]"),
                List.of("yes", "no"));
        assertThat(r.logprobs()[1]).isFinite().isLessThan(-20);
        assertThat(r.logprobs()[0]).isCloseTo(0, within(1e-9));
    }

    @Test
    void noLabelAmongTheListedTokensFailsInsteadOfBecomingALabel() throws Exception {
        assertThatThrownBy(() -> LabelLogprobs.extract(
                        content("[" + tok(" The", 0.6, alt(" The", 0.6) + "," + alt(" I", 0.3)) + ","
                                + tok(" answer", 1.0, alt(" answer", 1.0)) + "]"),
                        List.of("spam", "ham")))
                .isInstanceOfSatisfying(
                        MalformedResponseException.class,
                        e -> assertThat(e.kind()).isEqualTo(ErrorKind.LABEL_NOT_IN_TOP_K))
                .hasMessageContaining("The answer");
    }

    @Test
    void nanAndPositiveLogprobsAreMalformed() throws Exception {
        assertThatThrownBy(() -> LabelLogprobs.extract(
                        content("[{'token':'a','logprob':NaN,'top_logprobs':[]}]"), List.of("a", "b")))
                .isInstanceOfSatisfying(
                        MalformedResponseException.class,
                        e -> assertThat(e.kind()).isEqualTo(ErrorKind.NON_FINITE));
        assertThatThrownBy(() -> LabelLogprobs.extract(
                        content("[{'token':'a','logprob':-0.1,'top_logprobs':[" + "{'token':'b','logprob':0.5}]}]"),
                        List.of("a", "b")))
                .isInstanceOfSatisfying(
                        MalformedResponseException.class,
                        e -> assertThat(e.kind()).isEqualTo(ErrorKind.BAD_PROBABILITIES));
    }

    @Test
    void missingLogprobsAreBadJsonAndAmbiguousLabelsAreRefused() throws Exception {
        assertThatThrownBy(() -> LabelLogprobs.parse(null))
                .isInstanceOfSatisfying(
                        MalformedResponseException.class,
                        e -> assertThat(e.kind()).isEqualTo(ErrorKind.BAD_JSON));
        assertThatThrownBy(() -> LabelLogprobs.extract(List.of(), List.of("Spam", " spam")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("distinct");
    }
}
