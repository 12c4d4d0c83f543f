package org.distill4j.experiment;

import ai.djl.engine.Engine;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Facts about the machine and libraries a run used, for reports and provenance. */
public final class Environment {

    private Environment() {}

    /** Returns name-to-value facts: date, Java, OS, CPU count, DJL and PyTorch versions. */
    public static Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("date", Instant.now().toString());
        m.put("distill4j", Environment.class.getPackage().getImplementationVersion() == null
                ? "dev" : Environment.class.getPackage().getImplementationVersion());
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));
        m.put("djl", Engine.getDjlVersion());
        Engine pt = Engine.getEngine("PyTorch");
        m.put("pytorch", pt.getVersion());
        return m;
    }
}
