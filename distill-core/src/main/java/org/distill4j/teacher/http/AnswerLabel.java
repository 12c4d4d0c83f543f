package org.distill4j.teacher.http;

import java.util.List;
import java.util.Locale;

/**
 * Maps a completion's text to a class, for teachers whose API gives no log-probabilities (hard
 * labels, and the samples of a soft-label estimate). Never guesses: an answer that names no class,
 * or is cut off before one, maps to none.
 *
 * <p>Rule: the answer and every label are lower-cased and stripped of leading and trailing
 * characters that are not letters or digits (whitespace, quotes, {@code *}, {@code .}). The answer
 * names a label if it then equals it, or starts with it followed by a character that is not a letter
 * or digit ({@code "Positive. The text praises..."} names {@code positive}; {@code "positively"}
 * names nothing). When several labels fit, the longest wins ({@code "lib-devel"} over {@code "lib"}).
 */
public final class AnswerLabel {

    private AnswerLabel() {}

    /** Returns the index of the class {@code answer} names in {@code labels}, or -1 if it names none. */
    public static int of(String answer, List<String> labels) {
        String a = normalise(answer);
        int best = -1;
        int bestLength = -1;
        for (int c = 0; c < labels.size(); c++) {
            String l = normalise(labels.get(c));
            if (l.isEmpty() || !a.startsWith(l)) {
                continue;
            }
            boolean whole = a.length() == l.length() || !Character.isLetterOrDigit(a.codePointAt(l.length()));
            if (whole && l.length() > bestLength) {
                best = c;
                bestLength = l.length();
            }
        }
        return best;
    }

    static String normalise(String s) {
        String t = s == null ? "" : s.toLowerCase(Locale.ROOT);
        int from = 0;
        int to = t.length();
        while (from < to && !Character.isLetterOrDigit(t.codePointAt(from))) {
            from += Character.charCount(t.codePointAt(from));
        }
        while (to > from && !Character.isLetterOrDigit(t.codePointBefore(to))) {
            to -= Character.charCount(t.codePointBefore(to));
        }
        return t.substring(from, to);
    }
}
