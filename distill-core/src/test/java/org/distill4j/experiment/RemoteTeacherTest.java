package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.distill4j.teacher.http.HttpTeacherConfig;
import org.distill4j.teacher.http.Protocol;
import org.junit.jupiter.api.Test;

/** How a recipe's {@code teacher.http} becomes the collector's configuration. */
class RemoteTeacherTest {

    private static Recipe.HttpSection http(String... overrides) throws Exception {
        String yaml = """
                data: {dir: d}
                teacher: {source: http, http: {protocol: openai, url: 'http://127.0.0.1:9', model: m}}
                student: {model: {type: mlp, hidden: [4]}, training: {epochs: 1}}
                """;
        return RecipeLoader.parse(yaml, "t.yaml", Path.of("/r"), List.of(overrides))
                .teacher()
                .http();
    }

    @Test
    void keysLeftOutTakeTheCollectorsDefaults() throws Exception {
        HttpTeacherConfig fromRecipe = RemoteTeacher.config(http(), true);
        HttpTeacherConfig defaults = HttpTeacherConfig.builder(Protocol.OPENAI, "http://127.0.0.1:9", "m")
                .build();
        assertThat(fromRecipe.toString()).isEqualTo(defaults.toString());
        assertThat(fromRecipe.concurrency()).isEqualTo(defaults.concurrency());
        assertThat(fromRecipe.timeout()).isEqualTo(defaults.timeout());
        assertThat(fromRecipe.retry()).isEqualTo(defaults.retry());
        assertThat(fromRecipe.topLogprobs()).isEqualTo(20);

        HttpTeacherConfig set = RemoteTeacher.config(
                http(
                        "teacher.http.concurrency=3",
                        "teacher.http.max_attempts=2",
                        "teacher.http.timeout_seconds=1.5",
                        "teacher.http.top_logprobs=5",
                        "teacher.http.requests_per_minute=60"),
                true);
        assertThat(set.concurrency()).isEqualTo(3);
        assertThat(set.retry().maxAttempts()).isEqualTo(2);
        assertThat(set.timeout().toMillis()).isEqualTo(1500);
        assertThat(set.topLogprobs()).isEqualTo(5);
        assertThat(set.requestsPerMinute()).isEqualTo(60.0);
        // A v2 teacher of text data sends the text; of image data, the features.
        assertThat(RemoteTeacher.config(http("teacher.http.protocol=v2"), true).v2Input())
                .isEqualTo(HttpTeacherConfig.V2Input.TEXT);
        assertThat(RemoteTeacher.config(http("teacher.http.protocol=v2"), false).v2Input())
                .isEqualTo(HttpTeacherConfig.V2Input.FEATURES);
    }

    @Test
    void labelSourcesAndTheMissingLogprobsPolicyComeFromTheRecipe() throws Exception {
        HttpTeacherConfig c = RemoteTeacher.config(
                http("teacher.http.labels=samples", "teacher.http.samples=16", "teacher.http.on_missing_logprobs=text"),
                true);
        assertThat(c.labelSource()).isEqualTo(HttpTeacherConfig.LabelSource.SAMPLES);
        assertThat(c.samples()).isEqualTo(16);
        assertThat(c.onMissingLogprobs()).isEqualTo(HttpTeacherConfig.MissingLogprobs.TEXT);
        assertThat(c.fingerprint(List.of("a", "b")))
                .containsEntry("labelSource", "samples")
                .containsEntry("samples", 16);
        HttpTeacherConfig d = RemoteTeacher.config(http(), true);
        assertThat(d.labelSource()).isEqualTo(HttpTeacherConfig.LabelSource.LOGPROBS);
        assertThat(d.onMissingLogprobs()).isEqualTo(HttpTeacherConfig.MissingLogprobs.FAIL);
        // The default adds nothing to the fingerprint, so journals written before label sources resume.
        assertThat(d.fingerprint(List.of("a", "b"))).doesNotContainKeys("labelSource", "samples");
        assertThatThrownBy(() -> http("teacher.http.labels=guess"))
                .hasMessageContaining("illegal labels value: 'guess'");
        assertThatThrownBy(
                        () -> RemoteTeacher.config(http("teacher.http.labels=samples", "teacher.http.samples=1"), true))
                .hasMessageContaining("illegal samples value: 1");
    }

    @Test
    void mistakesNameTheRecipeKey() {
        assertThatThrownBy(() -> RemoteTeacher.config(http("teacher.http.batch_size=32"), true))
                .hasMessageStartingWith("teacher.http: illegal batch_size value: 32");
        assertThatThrownBy(() -> RemoteTeacher.config(http("teacher.http.top_logprobs=21"), true))
                .hasMessageContaining("illegal top_logprobs value: 21");
        assertThatThrownBy(
                        () -> RemoteTeacher.config(http("teacher.http.api_key_env=DISTILL4J_NO_SUCH_VARIABLE"), true))
                .hasMessageStartingWith("teacher.http: ")
                .hasMessageContaining("DISTILL4J_NO_SUCH_VARIABLE");
    }

    @Test
    void aMalformedUrlNeverEchoesItsCredentials() {
        // The recipe refuses '@' in the authority; a URL the JDK cannot parse must not leak either.
        assertThatThrownBy(() -> HttpTeacherConfig.builder(Protocol.V2, "https://bob:pa^ss@host/", "m"))
                .hasMessageContaining("not a valid URL")
                .hasMessageNotContaining("pa^ss");
    }
}
