package org.distill4j.experiment;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.model.OneDnnIsa;
import org.distill4j.provenance.ProvenanceManifest;

/** Facts about the machine and libraries a run used, for reports and provenance. */
public final class Environment {

    private Environment() {}

    /**
     * Returns name-to-value facts: date, distill4j version and commit, Java, OS, CPU count, DJL and
     * PyTorch versions (the same software facts a provenance manifest records), and PyTorch's
     * intra-op and inter-op thread counts ({@link #threads()}), and oneDNN's instruction-set cap
     * ({@link OneDnnIsa#cap()}).
     */
    public static Map<String, String> describe() {
        ProvenanceManifest.SoftwareInfo software = ProvenanceManifest.SoftwareInfo.detect();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("date", Instant.now().toString());
        m.put("distill4j", software.distill4j());
        m.put("git_commit", software.gitCommit());
        m.put("java", software.java());
        m.put("os", software.os());
        m.put("cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));
        m.put("djl", software.djl());
        m.put("pytorch", software.pytorch());
        PyTorchThreads threads = threads();
        m.put("pytorch_threads", Integer.toString(threads.intraOp()));
        m.put("pytorch_interop_threads", Integer.toString(threads.interOp()));
        m.put("onednn_max_cpu_isa", OneDnnIsa.cap());
        return m;
    }

    /**
     * PyTorch's thread counts in this process, as the engine reports them: results are
     * bit-identical from run to run at one thread count on one machine, but differ between thread
     * counts (the kernels split sums differently), so every result records them.
     *
     * @param intraOp threads of one operation ({@code -Dai.djl.pytorch.num_threads}, {@code --threads})
     * @param interOp threads running independent operations ({@code -Dai.djl.pytorch.num_interop_threads})
     */
    public record PyTorchThreads(int intraOp, int interOp) {
        /** As a JSON-compatible map, for provenance. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("intra_op", intraOp);
            m.put("inter_op", interOp);
            return m;
        }
    }

    /**
     * Returns the settings that change a training run's numbers on one machine, for reuse
     * fingerprints: the intra-op thread count and, when set, oneDNN's instruction-set cap (left out
     * at oneDNN's default so that fingerprints from before the cap was recorded still match).
     */
    public static String kernelKey() {
        String cap = OneDnnIsa.cap();
        return "threads=" + threads().intraOp() + (cap.equals("ALL") ? "" : " isa=" + cap);
    }

    /** Returns PyTorch's thread counts, starting the engine if it is not running yet. */
    public static PyTorchThreads threads() {
        Engine.getEngine("PyTorch");
        return new PyTorchThreads(JniUtils.getNumThreads(), JniUtils.getNumInteropThreads());
    }
}
