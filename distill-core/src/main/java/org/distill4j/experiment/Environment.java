package org.distill4j.experiment;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.provenance.ProvenanceManifest;

/** Facts about the machine and libraries a run used, for reports and provenance. */
public final class Environment {

    private Environment() {}

    /**
     * Returns name-to-value facts: date, distill4j version and commit, Java, OS, CPU count, DJL and
     * PyTorch versions (the same software facts a provenance manifest records).
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
        return m;
    }
}
