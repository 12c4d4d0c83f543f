package org.distill4j.spark;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import org.distill4j.teacher.Teacher;

/**
 * The executor JVM's loaded teachers, keyed by teacher identity ({@link TeacherSpec#cacheKey()}):
 * a teacher is loaded the first time a task on this JVM needs it and is reused by every later
 * partition. Teachers are not thread-safe, so each concurrently running task borrows its own
 * instance; an executor with {@code k} cores holds at most {@code k} instances, never more,
 * however many partitions it scores.
 *
 * <p>A loaded teacher whose content hash differs from the driver's is closed and refused
 * ({@link TeacherLoadException}): every executor scores with the model the driver checked.
 */
public final class TeacherPool {

    private static final Map<String, ConcurrentLinkedDeque<Teacher>> IDLE = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private TeacherPool() {}

    /**
     * Borrows an instance of the teacher, loading one if none is idle.
     *
     * @throws TeacherLoadException if it cannot be loaded or is not the driver's model
     */
    public static Teacher borrow(TeacherSpec spec, TeacherLoader loader) {
        Teacher idle = IDLE.computeIfAbsent(key(spec, loader), k -> new ConcurrentLinkedDeque<>())
                .pollFirst();
        if (idle != null) {
            return idle;
        }
        Teacher loaded;
        try {
            loaded = loader.load(spec);
        } catch (IOException | RuntimeException e) {
            throw new TeacherLoadException(
                    "executor could not load teacher " + spec.kind() + " " + spec.path() + ": " + e.getMessage(), e);
        }
        if (!loaded.identity().contentHash().equals(spec.contentHash())) {
            String found = loaded.identity().contentHash();
            loaded.close();
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

    /** Returns how many teacher instances this JVM has loaded since it started (for tests and logs). */
    public static int loads() {
        return LOADS.get();
    }

    /** Closes and forgets every idle teacher of this JVM (tests; executors just exit). */
    public static synchronized void closeAll() {
        IDLE.values().forEach(q -> {
            for (Teacher t; (t = q.pollFirst()) != null; ) {
                t.close();
            }
        });
        IDLE.clear();
    }

    private static String key(TeacherSpec spec, TeacherLoader loader) {
        return spec.cacheKey() + "|" + loader.getClass().getName();
    }
}
