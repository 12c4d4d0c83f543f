package org.distill4j.cli;

import picocli.CommandLine;

/** Prints distill4j's version and the engine versions it runs on. */
final class Versions implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Versions.class.getPackage().getImplementationVersion();
        return new String[] {
            "distill4j " + (v == null ? "dev" : v),
            "Java " + System.getProperty("java.version") + ", DJL 0.36.0 with PyTorch 2.7.1 (CPU)"
        };
    }
}
