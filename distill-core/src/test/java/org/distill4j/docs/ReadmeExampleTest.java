package org.distill4j.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.distill4j.data.IdxTestFiles;
import org.distill4j.provenance.Provenance;
import org.distill4j.provenance.ProvenanceManifest;
import org.distill4j.train.Schedule;
import org.distill4j.train.TrainingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Using the library" program, taken from README.md as it stands, compiled with the
 * JDK's compiler against the test class path and run on a small IDX data set: the README cannot
 * rot, and what it promises (a saved student with a verifiable provenance.json) is checked.
 */
class ReadmeExampleTest {

    private static final Path README = Path.of("..", "README.md");

    static String readmeProgram() throws Exception {
        String readme = Files.readString(README);
        int section = readme.indexOf("## Using the library");
        assertThat(section).as("README section 'Using the library'").isNotNegative();
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertThat(m.find(section)).as("a java block in 'Using the library'").isTrue();
        return m.group(1);
    }

    @Test
    void readmeLibraryExampleCompilesAndRuns(@TempDir Path tmp) throws Exception {
        String source = readmeProgram();
        assertThat(source).contains("public class DistillExample");
        Path src = Files.createDirectories(tmp.resolve("src")).resolve("DistillExample.java");
        Files.writeString(src, source);
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        boolean compiled = javac.getTask(
                        diagnostics,
                        null,
                        null,
                        List.of("-classpath", classPath, "-d", classes.toString(), "--release", "17"),
                        null,
                        javac.getStandardFileManager(null, null, null).getJavaFileObjects(src))
                .call();
        assertThat(compiled).as("README example compiles: %s", diagnostics).isTrue();

        Path data = IdxTestFiles.writeDataset(
                tmp.resolve("data"),
                IdxTestFiles.Part.random(256, 28, 28, 10, 1),
                IdxTestFiles.Part.random(64, 28, 28, 10, 2),
                false);
        Path out = tmp.resolve("out");
        try (URLClassLoader loader =
                new URLClassLoader(new URL[] {classes.toUri().toURL()}, ReadmeExampleTest.class.getClassLoader())) {
            Method main = loader.loadClass("DistillExample").getMethod("main", String[].class);
            main.invoke(null, (Object) new String[] {data.toString(), out.toString()});
        }

        Path student = out.resolve("my-student");
        assertThat(Provenance.verify(student).ok()).isTrue();
        ProvenanceManifest manifest = Provenance.read(student);
        assertThat(manifest.files()).containsKeys("model.json", "model-0000.params", "README.md");
        assertThat(manifest.teacher().kind()).isEqualTo("in-memory");
        assertThat(manifest.terms()).containsEntry("verdict", "own_model");
        @SuppressWarnings("unchecked")
        Map<String, Object> training = (Map<String, Object>) manifest.training().get("training");
        assertThat(TrainingConfig.fromMap(training))
                .isEqualTo(TrainingConfig.builder()
                        .setEpochs(3)
                        .optLearningRate(0.002)
                        .optSchedule(Schedule.COSINE)
                        .build());
        assertThat(manifest.training()).containsEntry("epochs_run", 3L);
        assertThat(Files.readString(student.resolve("README.md"))).contains("my-student");
    }
}
