package org.distill4j.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The words of a job's command line, split the way every distill-spark job reads them: positional
 * arguments, {@code --name value} options in order (a name may repeat, e.g. {@code --set}) and the
 * one bare flag, {@code --acknowledge-unknown-terms}. What the options mean is the job's business.
 *
 * @param positional the words not starting with {@code --}, in order
 * @param options the (name, value) pairs, in order
 * @param acknowledgeUnknownTerms whether {@code --acknowledge-unknown-terms} was given
 */
record JobArguments(List<String> positional, List<Map.Entry<String, String>> options, boolean acknowledgeUnknownTerms) {

    /**
     * Splits {@code args}.
     *
     * @throws IllegalArgumentException if an option is the last word (it has no value)
     */
    static JobArguments scan(String[] args) {
        List<String> positional = new ArrayList<>();
        List<Map.Entry<String, String>> options = new ArrayList<>();
        boolean acknowledge = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--acknowledge-unknown-terms")) {
                acknowledge = true;
            } else if (!a.startsWith("--")) {
                positional.add(a);
            } else if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + a + " needs a value");
            } else {
                options.add(Map.entry(a, args[++i]));
            }
        }
        return new JobArguments(List.copyOf(positional), List.copyOf(options), acknowledge);
    }
}
