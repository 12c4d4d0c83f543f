package org.distill4j.lm.teacher;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.HashSet;
import java.util.Set;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.lm.token.TokenizerIdentity;
import org.distill4j.teacher.TeacherIdentity;

/**
 * A teacher of another vocabulary seen in the student's, through a token mapping: the student's
 * ids are translated into the teacher's for its input, and its logits are taken at the teacher ids
 * of the student's tokens, so token-level KD sees a distribution over the student's vocabulary
 * (after the loss's softmax, renormalised over the tokens both have: the teacher's mass on tokens
 * the student lacks is dropped).
 *
 * <p>Exact when both tokenize every text the same way with their ids renamed (the teacher may also
 * know tokens the student's tokenizer never emits); otherwise the teacher reads sequences it would
 * not have produced itself, and the result is an approximation the caller chose. Closing it closes
 * the wrapped teacher.
 */
public final class MappedLmTeacher implements LmTeacher {

    private final LmTeacher teacher;
    private final long[] toTeacher; // -1: a student token the teacher's vocabulary lacks
    private final long[] gatherIndex; // toTeacher with -1 as 0, masked after the gather
    private final boolean[] mapped;
    private final int unmapped;
    private final TokenizerIdentity student;
    private final TeacherIdentity identity;

    private MappedLmTeacher(LmTeacher teacher, long[] toTeacher, TokenizerIdentity student, String how) {
        this.teacher = teacher;
        this.toTeacher = toTeacher;
        this.gatherIndex = new long[toTeacher.length];
        this.mapped = new boolean[toTeacher.length];
        int none = 0;
        for (int i = 0; i < toTeacher.length; i++) {
            mapped[i] = toTeacher[i] >= 0;
            gatherIndex[i] = Math.max(0, toTeacher[i]);
            none += mapped[i] ? 0 : 1;
        }
        this.unmapped = none;
        this.student = student;
        TeacherIdentity t = teacher.identity();
        this.identity = new TeacherIdentity(
                t.kind(),
                t.location(),
                t.contentHash(),
                t.description() + ", seen in " + student + " (tokens mapped " + how + ")");
    }

    /**
     * Maps each student token to the teacher token of the same bytes, BOS to BOS and EOS to EOS. A
     * student token the teacher's vocabulary lacks gets (almost) no probability from the teacher, and
     * may not occur in the text the teacher is asked about ({@link #logits} refuses it, naming it).
     *
     * @param teacher the teacher, in {@code teacherTokenizer}'s vocabulary
     * @param teacherTokenizer the teacher's tokenizer ({@link #tokenizer()} of the result is the student's)
     * @param studentTokenizer the student's tokenizer
     * @throws IllegalArgumentException if no ordinary student token has a teacher token of the same
     *     bytes (not two vocabularies of one text), or two map to one
     */
    public static MappedLmTeacher byBytes(LmTeacher teacher, Tokenizer teacherTokenizer, Tokenizer studentTokenizer) {
        if (!teacher.tokenizer().equals(teacherTokenizer.identity())) {
            throw new IllegalArgumentException(
                    "the teacher reads " + teacher.tokenizer() + ", not " + teacherTokenizer.identity());
        }
        int vocab = studentTokenizer.vocabSize();
        long[] map = new long[vocab];
        int ordinary = 0;
        for (int s = 0; s < vocab; s++) {
            int t;
            if (s == studentTokenizer.bos()) {
                t = teacherTokenizer.bos();
            } else if (s == studentTokenizer.eos()) {
                t = teacherTokenizer.eos();
            } else {
                byte[] bytes = studentTokenizer.bytes(s);
                t = bytes.length == 0 ? -1 : teacherTokenizer.id(bytes);
                ordinary += t >= 0 ? 1 : 0;
            }
            map[s] = t;
        }
        if (ordinary == 0) {
            throw new IllegalArgumentException("none of the student's tokens (" + studentTokenizer.identity()
                    + ") has a token of the same bytes in the teacher's vocabulary (" + teacherTokenizer.identity()
                    + "): no mapping between them; use sequence-level KD");
        }
        Set<Long> seen = new HashSet<>();
        for (long t : map) {
            if (t >= 0 && !seen.add(t)) {
                throw new IllegalArgumentException("two student tokens map to teacher token " + t);
            }
        }
        return new MappedLmTeacher(teacher, map, studentTokenizer.identity(), "by their bytes");
    }

    /** Returns how many student tokens the teacher's vocabulary lacks (BOS and EOS always map). */
    public int unmappedTokens() {
        return unmapped;
    }

    @Override
    public NDArray logits(NDArray ids) {
        NDManager m = ids.getManager();
        NDArray longIds = ids.toType(DataType.INT64, false);
        NDArray teacherIds = m.create(toTeacher).take(longIds);
        if (unmapped > 0 && teacherIds.lt(0).any().getBoolean()) {
            for (long id : longIds.toLongArray()) {
                if (toTeacher[(int) id] < 0) {
                    throw new IllegalArgumentException("student token " + id + " has no token in the teacher's "
                            + "vocabulary: the teacher cannot read this text");
                }
            }
        }
        NDArray z = teacher.logits(teacherIds);
        Shape s = z.getShape();
        int v = toTeacher.length;
        NDArray index = m.create(gatherIndex).reshape(1, 1, v).broadcast(new Shape(s.get(0), s.get(1), v));
        NDArray picked = z.gather(index, 2);
        if (unmapped == 0) {
            return picked;
        }
        // A token the teacher lacks gets e^-30 of the position's least likely mapped token: no
        // probability to speak of, and a finite log for the losses.
        NDArray floor = picked.min(new int[] {2}, true).sub(30f).broadcast(picked.getShape());
        NDArray isMapped = m.create(mapped).reshape(1, 1, v).broadcast(picked.getShape());
        return NDArrays.where(isMapped, picked, floor);
    }

    @Override
    public TokenizerIdentity tokenizer() {
        return student;
    }

    @Override
    public int contextLength() {
        return teacher.contextLength();
    }

    @Override
    public TeacherIdentity identity() {
        return identity;
    }

    @Override
    public void close() {
        teacher.close();
    }
}
