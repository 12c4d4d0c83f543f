package org.distill4j.provenance;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.distill4j.teacher.TeacherIdentity;

/**
 * Recognises Hugging Face Hub repository ids, so that a model card's metadata names a teacher or
 * data set by id only when it really is one. A local name such as {@code mnist/train} looks like
 * {@code owner/name} but is not on the Hub, so ids are recognised only when marked: {@code hf:ID},
 * {@code hf://ID} (data sets also {@code hf://datasets/ID}) or a {@code https://huggingface.co/}
 * URL; and, for a teacher called over HTTP, the model name the endpoint serves when it has the
 * {@code owner/name} form (servers such as vLLM serve models under their Hub id).
 */
public final class HubIds {

    // Hub rules: letters, digits, '-', '_', '.'; at most 96 characters per part; no "--" or "..".
    private static final Pattern ID =
            Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?");
    private static final Pattern OWNER_NAME =
            Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}");

    private HubIds() {}

    /** The Hub model id {@code ref} marks, if it marks one. */
    public static Optional<String> model(String ref) {
        return marked(ref, "");
    }

    /** The Hub data-set id {@code ref} marks ({@code hf://datasets/ID}, {@code hf:ID}, URL), if it marks one. */
    public static Optional<String> dataset(String ref) {
        return marked(ref, "datasets/");
    }

    /**
     * The teacher's Hub id: from its location when marked, or, for an HTTP teacher, the {@code
     * owner/name} model name it was called with; empty for a local model directory or file.
     */
    public static Optional<String> teacher(TeacherIdentity teacher) {
        if (teacher == null) {
            return Optional.empty();
        }
        Optional<String> marked = model(teacher.location());
        if (marked.isPresent() || !teacher.kind().toLowerCase(Locale.ROOT).startsWith("http")) {
            return marked;
        }
        // HttpTeacherConfig.identity describes a remote teacher as "model NAME via ...".
        String d = teacher.description();
        int via = d.indexOf(" via ");
        if (d.startsWith("model ") && via > 6) {
            String name = d.substring(6, via).strip();
            return model("hf:" + name).filter(id -> OWNER_NAME.matcher(id).matches());
        }
        return Optional.empty();
    }

    /** True when {@code id} is a syntactically valid Hub repository id ({@code name} or {@code owner/name}). */
    public static boolean isValid(String id) {
        return id != null
                && ID.matcher(id).matches()
                && !id.contains("--")
                && !id.contains("..")
                && !id.endsWith(".")
                && !id.contains("./");
    }

    private static Optional<String> marked(String ref, String kindPrefix) {
        if (ref == null) {
            return Optional.empty();
        }
        String r = ref.strip();
        String id = null;
        for (String p : new String[] {"https://huggingface.co/", "hf://", "hf:"}) {
            if (r.startsWith(p)) {
                id = r.substring(p.length());
                break;
            }
        }
        if (id == null) {
            return Optional.empty();
        }
        if (!kindPrefix.isEmpty()) {
            if (id.startsWith(kindPrefix)) {
                id = id.substring(kindPrefix.length());
            } else if (r.startsWith("https://")) {
                return Optional.empty(); // a model URL is not a data set
            }
        }
        while (id.endsWith("/")) {
            id = id.substring(0, id.length() - 1);
        }
        return isValid(id) ? Optional.of(id) : Optional.empty();
    }
}
