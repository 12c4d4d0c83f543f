package org.distill4j.teacher;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.testutil.SyntheticData;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.TrainingConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TeacherOutputCacheTest {

    static final InMemoryExampleSet DATA = SyntheticData.blobs("blobs", 150, 3, 8, 1.0, 4);
    static final MlpSpec SPEC = new MlpSpec(List.of(16), null, 0);

    @TempDir
    static Path models;

    static Path teacherA;
    static Path teacherB;

    @TempDir
    Path cacheDir;

    NDManager manager;

    /** A real teacher that counts how often it is asked for logits. */
    static final class CountingTeacher implements Teacher {
        final Teacher delegate;
        final AtomicInteger calls = new AtomicInteger();

        CountingTeacher(Teacher delegate) {
            this.delegate = delegate;
        }

        @Override
        public TeacherIdentity identity() {
            return delegate.identity();
        }

        @Override
        public NDArray logits(NDArray inputs) {
            calls.incrementAndGet();
            return delegate.logits(inputs);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    static Path trainTeacher(Path dir, long seed) throws Exception {
        try (SavedModel m = SavedModel.create(SPEC, DATA.featureShape(), DATA.classNames())) {
            ClassifierTrainer.builder(TrainingConfig.builder()
                            .setEpochs(1)
                            .optBatchSize(32)
                            .optLearningRate(0.01)
                            .build())
                    .optSeed(seed)
                    .build()
                    .fit(m, DATA, null);
            m.save(dir);
        }
        return dir;
    }

    @BeforeAll
    static void trainTeachers() throws Exception {
        teacherA = trainTeacher(models.resolve("a"), 1);
        teacherB = trainTeacher(models.resolve("b"), 2);
    }

    @BeforeEach
    void openManager() {
        manager = NDManager.newBaseManager("PyTorch");
    }

    @org.junit.jupiter.api.AfterEach
    void closeManager() {
        manager.close();
    }

    static CountingTeacher counting(Path dir) throws Exception {
        return new CountingTeacher(SavedModelTeacher.load(dir));
    }

    static List<Path> files(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void secondCallReadsFromDiskWithoutCallingTheTeacher() throws Exception {
        TeacherOutputCache cache = new TeacherOutputCache(cacheDir);
        TeacherOutputs first;
        try (CountingTeacher t = counting(teacherA)) {
            first = cache.getOrCompute(t, DATA, manager, 64, n -> {});
            assertThat(cache.lastWasHit()).isFalse();
            assertThat(t.calls.get()).isEqualTo(3); // 150 rows in batches of 64
        }
        assertThat(first.rows()).isEqualTo(150);
        assertThat(first.classes()).isEqualTo(3);
        assertThat(files(cacheDir)).hasSize(1).allMatch(p -> p.toString().endsWith(".logits"));

        // A fresh teacher object and a fresh cache object: only the disk connects the two runs.
        try (CountingTeacher t = counting(teacherA)) {
            TeacherOutputCache again = new TeacherOutputCache(cacheDir);
            AtomicInteger progress = new AtomicInteger();
            TeacherOutputs second = again.getOrCompute(t, DATA, manager, 64, progress::set);
            assertThat(t.calls.get()).isZero();
            assertThat(again.lastWasHit()).isTrue();
            assertThat(progress.get()).isEqualTo(150);
            assertThat(second.logits()).containsExactly(first.logits());
            assertThat(second.teacherKey()).isEqualTo(first.teacherKey());
        }
    }

    @Test
    void cachedLogitsAreTheTeachersLogits() throws Exception {
        try (CountingTeacher t = counting(teacherA)) {
            TeacherOutputs cached = new TeacherOutputCache(cacheDir).getOrCompute(t, DATA, manager, 50, n -> {});
            TeacherOutputs direct = TeacherOutputCache.compute(t, DATA, manager, 7, n -> {});
            // Another batch size changes the summation order slightly, nothing more.
            assertThat(cached.logits()).usingComparatorWithPrecision(1e-5f).containsExactly(direct.logits());
        }
    }

    @Test
    void aTeacherCopiedElsewhereHitsTheSameEntry(@TempDir Path tmp) throws Exception {
        Path copy = Files.createDirectories(tmp.resolve("copy"));
        for (Path p : files(teacherA)) {
            Files.copy(p, copy.resolve(p.getFileName()));
        }
        TeacherOutputCache cache = new TeacherOutputCache(cacheDir);
        try (CountingTeacher a = counting(teacherA);
                CountingTeacher c = counting(copy)) {
            cache.getOrCompute(a, DATA, manager, 64, n -> {});
            cache.getOrCompute(c, DATA, manager, 64, n -> {});
            assertThat(c.calls.get()).isZero();
            assertThat(cache.lastWasHit()).isTrue();
        }
    }

    @Test
    void changedTeacherGetsAnotherFileAndIsRecomputed() throws Exception {
        TeacherOutputCache cache = new TeacherOutputCache(cacheDir);
        try (CountingTeacher a = counting(teacherA);
                CountingTeacher b = counting(teacherB)) {
            assertThat(b.identity().contentHash()).isNotEqualTo(a.identity().contentHash());
            TeacherOutputs outA = cache.getOrCompute(a, DATA, manager, 64, n -> {});
            TeacherOutputs outB = cache.getOrCompute(b, DATA, manager, 64, n -> {});
            assertThat(cache.lastWasHit()).isFalse();
            assertThat(b.calls.get()).isPositive();
            assertThat(cache.fileFor(b.identity(), DATA)).isNotEqualTo(cache.fileFor(a.identity(), DATA));
            assertThat(outB.logits()).isNotEqualTo(outA.logits());
            assertThat(files(cacheDir)).hasSize(2);
        }
    }

    @Test
    void changedDataGetsAnotherFileAndIsRecomputed() throws Exception {
        InMemoryExampleSet other = SyntheticData.blobs("blobs", 150, 3, 8, 1.0, 5);
        assertThat(other.contentHash()).isNotEqualTo(DATA.contentHash());
        TeacherOutputCache cache = new TeacherOutputCache(cacheDir);
        try (CountingTeacher t = counting(teacherA)) {
            cache.getOrCompute(t, DATA, manager, 64, n -> {});
            int before = t.calls.get();
            cache.getOrCompute(t, other, manager, 64, n -> {});
            assertThat(cache.lastWasHit()).isFalse();
            assertThat(t.calls.get()).isGreaterThan(before);
            assertThat(cache.fileFor(t.identity(), other)).isNotEqualTo(cache.fileFor(t.identity(), DATA));
            assertThat(files(cacheDir)).hasSize(2);
        }
    }

    @Test
    void flippedByteIsDetectedAndRecomputedNotUsed() throws Exception {
        TeacherOutputCache cache = new TeacherOutputCache(cacheDir);
        try (CountingTeacher t = counting(teacherA)) {
            TeacherOutputs good = cache.getOrCompute(t, DATA, manager, 64, n -> {});
            Path file = cache.fileFor(t.identity(), DATA);
            byte[] bytes = Files.readAllBytes(file);
            bytes[bytes.length - 100] ^= 0x40; // inside the logits payload
            Files.write(file, bytes);

            t.calls.set(0);
            TeacherOutputs again = cache.getOrCompute(t, DATA, manager, 64, n -> {});
            assertThat(cache.lastWasHit()).isFalse();
            assertThat(t.calls.get()).isPositive();
            assertThat(again.logits()).containsExactly(good.logits());
            // The bad file was replaced by a good one.
            t.calls.set(0);
            cache.getOrCompute(t, DATA, manager, 64, n -> {});
            assertThat(cache.lastWasHit()).isTrue();
            assertThat(t.calls.get()).isZero();
        }
    }

    @Test
    void truncatedFileIsDetectedAndRecomputedNotUsed() throws Exception {
        TeacherOutputCache cache = new TeacherOutputCache(cacheDir);
        try (CountingTeacher t = counting(teacherA)) {
            TeacherOutputs good = cache.getOrCompute(t, DATA, manager, 64, n -> {});
            Path file = cache.fileFor(t.identity(), DATA);
            byte[] bytes = Files.readAllBytes(file);
            Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));

            t.calls.set(0);
            TeacherOutputs again = cache.getOrCompute(t, DATA, manager, 64, n -> {});
            assertThat(cache.lastWasHit()).isFalse();
            assertThat(t.calls.get()).isPositive();
            assertThat(again.logits()).containsExactly(good.logits());
            assertThat(Files.size(file)).isEqualTo(bytes.length);
        }
    }

    @Test
    void garbageWithTheRightNameIsNotUsed() throws Exception {
        TeacherOutputCache cache = new TeacherOutputCache(cacheDir);
        try (CountingTeacher t = counting(teacherA)) {
            Path file = cache.fileFor(t.identity(), DATA);
            Files.createDirectories(cacheDir);
            Files.writeString(file, "not a cache file at all");
            cache.getOrCompute(t, DATA, manager, 64, n -> {});
            assertThat(cache.lastWasHit()).isFalse();
            assertThat(t.calls.get()).isPositive();
        }
    }

    @Test
    void fileIsWrittenAtomicallyWithNoTemporaryFileLeft() throws Exception {
        Path nested = cacheDir.resolve("not/yet/there");
        TeacherOutputCache cache = new TeacherOutputCache(nested);
        try (CountingTeacher t = counting(teacherA)) {
            cache.getOrCompute(t, DATA, manager, 64, n -> {});
            assertThat(files(nested)).containsExactly(cache.fileFor(t.identity(), DATA));
        }
    }
}
