package org.distill4j.spark;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.distill4j.lm.teacher.LmTeacher;
import org.distill4j.teacher.Teacher;

/**
 * The executor JVM's loaded teachers, keyed by teacher identity ({@link TeacherSpec#cacheKey()}):
 * a teacher is loaded the first time a task on this JVM needs it and is reused by every later
 * partition. Teachers are not thread-safe, so each concurrently running task borrows its own
 * instance; an executor with {@code k} cores holds at most {@code k} instances, never more,
 * however many partitions it scores. Classifier teachers ({@link Teacher}) and language-model
 * teachers ({@link LmTeacher}) are pooled alike.
 *
 * <p>A loaded teacher whose content hash differs from the driver's is closed and refused
 * ({@link TeacherLoadException}): every executor scores with the model the driver checked.
 */
public final class TeacherPool {

    private static final Map<String, ConcurrentLinkedDeque<AutoCloseable>> IDLE = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private TeacherPool() {}

    /** Loads one instance; the loaders' common shape. */
    @FunctionalInterface
    private interface Load<T> {
        T load(TeacherSpec spec) throws IOException;
    }

    /**
     * Borrows an instance of the teacher, loading one if none is idle.
     *
     * @throws TeacherLoadException if it cannot be loaded or is not the driver's model
     */
    public static Teacher borrow(TeacherSpec spec, TeacherLoader loader) {
        return borrow(
                key(spec, loader),
                spec,
                loader::load,
                Teacher.class,
                t -> t.identity().contentHash());
    }

    /**
     * Borrows an instance of a language-model teacher, loading one if none is idle.
     *
     * @throws TeacherLoadException if it cannot be loaded or is not the driver's model
     */
    public static LmTeacher borrowLm(TeacherSpec spec, LmTeacherLoader loader) {
        return borrow(
                key(spec, loader),
                spec,
                loader::load,
                LmTeacher.class,
                t -> t.identity().contentHash());
    }

    private static <T extends AutoCloseable> T borrow(
            String key, TeacherSpec spec, Load<T> loader, Class<T> type, Function<T, String> contentHash) {
        AutoCloseable idle =
                IDLE.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>()).pollFirst();
        if (idle != null) {
            return type.cast(idle);
        }
        T loaded;
        try {
            loaded = loader.load(spec);
        } catch (IOException | RuntimeException e) {
            throw new TeacherLoadException(
                    "executor could not load teacher " + spec.kind() + " " + spec.path() + ": " + e.getMessage(), e);
        }
        String found = contentHash.apply(loaded);
        if (!found.equals(spec.contentHash())) {
            closeQuietly(loaded);
            throw new TeacherLoadException(
                    "executor loaded teacher " + spec.path() + " with content hash " + found
                            + " but the driver checked " + spec.contentHash()
                            + "; the model changed during the job or differs between machines",
                    null);
        }
        LOADS.incrementAndGet();
        return loaded;
    }

    /** Gives a borrowed instance back for the next partition on this JVM. */
    public static void giveBack(TeacherSpec spec, TeacherLoader loader, Teacher teacher) {
        IDLE.computeIfAbsent(key(spec, loader), k -> new ConcurrentLinkedDeque<>())
                .addFirst(teacher);
    }

    /** Gives a borrowed language-model teacher back for the next partition on this JVM. */
    public static void giveBackLm(TeacherSpec spec, LmTeacherLoader loader, LmTeacher teacher) {
        IDLE.computeIfAbsent(key(spec, loader), k -> new ConcurrentLinkedDeque<>())
                .addFirst(teacher);
    }

    /** Returns how many teacher instances this JVM has loaded since it started (for tests and logs). */
    public static int loads() {
        return LOADS.get();
    }

    /** Closes and forgets every idle teacher of this JVM (tests; executors just exit). */
    public static synchronized void closeAll() {
        IDLE.values().forEach(q -> {
            for (AutoCloseable t; (t = q.pollFirst()) != null; ) {
                closeQuietly(t);
            }
        });
        IDLE.clear();
    }

    private static void closeQuietly(AutoCloseable t) {
        try {
            t.close();
        } catch (Exception ignored) {
            // Teachers' close() declares no exception; nothing to report for one being discarded.
        }
    }

    private static String key(TeacherSpec spec, Object loader) {
        // A TorchScript language model is the file plus what it is declared to take: the same file
        // declared with another tokenizer or context is another teacher.
        String declared = spec.tokenizer() == null ? "" : "|" + spec.tokenizer() + "|" + spec.contextLength();
        return spec.cacheKey() + declared + "|" + loader.getClass().getName();
    }
}
