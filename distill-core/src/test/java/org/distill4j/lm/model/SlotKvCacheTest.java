package org.distill4j.lm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link SlotKvCache} with {@link Decoder#forward(ParameterStore, NDArray, SlotKvCache, int[])}:
 * sequences that join and leave a batch at different times, from prompts of different lengths,
 * get at every step the logits they get decoded alone with a {@link KvCache}; slots are reused;
 * memory does not grow; misuse is refused with a message.
 */
class SlotKvCacheTest {

    /** A sequence: its prompt, the tokens fed after it, and when it joins the batch. */
    private record Sequence(int[] prompt, int[] fed, int joinsAt) {}

    /** The logits of each fed token's position, decoded alone with a one-row KvCache. */
    private static List<float[]> alone(Decoder decoder, NDManager root, Sequence s) {
        List<float[]> out = new ArrayList<>();
        ParameterStore ps = new ParameterStore(root, false);
        try (NDManager m = root.newSubManager();
                KvCache cache = decoder.newCache(m)) {
            decoder.forward(ps, m.create(s.prompt(), new Shape(1, s.prompt().length)), cache, false);
            for (int id : s.fed()) {
                try (NDManager step = m.newSubManager()) {
                    out.add(decoder.forward(ps, step.create(new int[] {id}, new Shape(1, 1)), cache, false)
                            .toFloatArray());
                }
            }
        }
        return out;
    }

    private static Sequence random(Random r, int promptLength, int fed, int joinsAt) {
        int[] p = new int[promptLength];
        int[] f = new int[fed];
        p[0] = ByteTokenizer.BOS;
        for (int i = 1; i < p.length; i++) {
            p[i] = r.nextInt(256);
        }
        for (int i = 0; i < f.length; i++) {
            f[i] = r.nextInt(256);
        }
        return new Sequence(p, f, joinsAt);
    }

    @ParameterizedTest
    @CsvSource({"ROTARY, false", "LEARNED, false", "LEARNED, true"})
    void sequencesOfTheirOwnLengthsGetWhatTheyGetAloneWhileJoiningAndLeaving(Positions positions, boolean tied) {
        Random r = new Random(3);
        // Context 16. Three slots for five sequences: the fourth and fifth take slots the first ones
        // free; the second fills its slot to the context length exactly (4 + 12 = 16).
        List<Sequence> seqs = List.of(
                random(r, 1, 9, 0), random(r, 4, 12, 0), random(r, 7, 5, 2), random(r, 3, 6, 9), random(r, 2, 4, 12));
        try (LanguageModel lm = LanguageModel.create(DecoderTest.tiny(positions, tied), ByteTokenizer.INSTANCE, 5);
                NDManager root = NDManager.newBaseManager("PyTorch")) {
            Decoder decoder = lm.decoder();
            List<List<float[]>> expected = new ArrayList<>();
            for (Sequence s : seqs) {
                expected.add(alone(decoder, root, s));
            }
            ParameterStore ps = new ParameterStore(root, false);
            int[] slotOf = {-1, -1, -1, -1, -1};
            int[] done = new int[seqs.size()];
            boolean[] occupied = new boolean[3];
            double maxDiff = 0;
            int rowsChecked = 0;
            int held = -1;
            try (SlotKvCache cache = decoder.newSlotCache(root, 3)) {
                for (int step = 0; rowsChecked < 36; step++) {
                    for (int i = 0; i < seqs.size(); i++) {
                        Sequence s = seqs.get(i);
                        if (slotOf[i] < 0 && done[i] == 0 && s.joinsAt() <= step) {
                            int free = 0;
                            while (occupied[free]) {
                                free++;
                            }
                            occupied[free] = true;
                            slotOf[i] = free;
                            try (NDManager m = root.newSubManager();
                                    KvCache prefix = decoder.newCache(m)) {
                                decoder.forward(
                                        ps, m.create(s.prompt(), new Shape(1, s.prompt().length)), prefix, false);
                                cache.load(free, prefix);
                            }
                            assertThat(cache.length(free)).isEqualTo(s.prompt().length);
                        }
                    }
                    List<Integer> rows = new ArrayList<>();
                    for (int i = 0; i < seqs.size(); i++) {
                        if (slotOf[i] >= 0) {
                            rows.add(i);
                        }
                    }
                    int[] ids = new int[rows.size()];
                    int[] slots = new int[rows.size()];
                    for (int k = 0; k < rows.size(); k++) {
                        int i = rows.get(k);
                        ids[k] = seqs.get(i).fed()[done[i]];
                        slots[k] = slotOf[i];
                    }
                    try (NDManager m = root.newSubManager()) {
                        NDArray logits = decoder.forward(ps, m.create(ids, new Shape(ids.length, 1)), cache, slots);
                        assertThat(logits.getShape()).isEqualTo(new Shape(ids.length, 1, 258));
                        float[] all = logits.toFloatArray();
                        for (int k = 0; k < rows.size(); k++) {
                            int i = rows.get(k);
                            float[] want = expected.get(i).get(done[i]);
                            for (int v = 0; v < 258; v++) {
                                maxDiff = Math.max(maxDiff, Math.abs(all[k * 258 + v] - want[v]));
                            }
                            rowsChecked++;
                            done[i]++;
                            if (done[i] == seqs.get(i).fed().length) {
                                assertThat(cache.length(slotOf[i]))
                                        .isEqualTo(seqs.get(i).prompt().length + done[i]);
                                cache.clear(slotOf[i]);
                                occupied[slotOf[i]] = false;
                                slotOf[i] = -1;
                            }
                        }
                    }
                    if (held < 0) {
                        held = cache.arraysHeld();
                    }
                    assertThat(cache.arraysHeld())
                            .as("arrays held after step %d", step)
                            .isEqualTo(held);
                }
                assertThat(held)
                        .as("a key and a value buffer per layer")
                        .isEqualTo(2 * lm.config().layers());
            }
            assertThat(done).containsExactly(9, 12, 5, 6, 4);
            assertThat(maxDiff).as("max |slot step - alone| logit").isLessThanOrEqualTo(1e-5);
        }
    }

    @ParameterizedTest
    @CsvSource({"ROTARY", "LEARNED"})
    void misuseIsRefusedWithAMessage(Positions positions) {
        try (LanguageModel lm = LanguageModel.create(DecoderTest.tiny(positions, false), ByteTokenizer.INSTANCE, 5);
                NDManager root = NDManager.newBaseManager("PyTorch");
                SlotKvCache cache = lm.decoder().newSlotCache(root, 2)) {
            Decoder decoder = lm.decoder();
            ParameterStore ps = new ParameterStore(root, false);
            NDArray two = root.create(new int[] {1, 2}, new Shape(2, 1));
            assertThatThrownBy(() -> decoder.forward(ps, two, cache, new int[] {1, 1}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("slot 1 appears twice in one step");
            assertThatThrownBy(() -> decoder.forward(ps, two, cache, new int[] {0, 2}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("slot 2 is not in [0, 2)");
            assertThatThrownBy(() -> decoder.forward(ps, two, cache, new int[] {0}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("a slot step takes (1, 1) token ids, got (2, 1)");
            try (KvCache batch = decoder.newCache(root)) {
                decoder.forward(ps, root.create(new int[] {1, 2, 3, 4}, new Shape(2, 2)), batch, false);
                assertThatThrownBy(() -> cache.load(0, batch))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("prefix holds 2 sequences; load one sequence per slot");
                batch.reset();
                assertThatThrownBy(() -> cache.load(0, batch))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("prefix holds no position");
            }
            int context = lm.config().contextLength();
            try (KvCache full = decoder.newCache(root)) {
                decoder.forward(
                        ps, root.zeros(new Shape(1, context), ai.djl.ndarray.types.DataType.INT32), full, false);
                cache.load(1, full);
            }
            assertThat(cache.length(1)).isEqualTo(context);
            NDArray one = root.create(new int[] {7}, new Shape(1, 1));
            assertThatThrownBy(() -> decoder.forward(ps, one, cache, new int[] {1}))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("slot 1 is full: " + context + " positions = capacity");
        }
    }
}
