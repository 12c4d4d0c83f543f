package org.distill4j.audit;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.TorchScriptTeacher;
import org.distill4j.teacher.http.ApiKey;
import org.distill4j.teacher.http.HttpTeacherConfig;
import org.distill4j.teacher.http.Protocol;

/**
 * Opens a model for the audit from how a user names it: a distill4j model directory (holding
 * {@code model.json}), a TorchScript file, or an Open Inference Protocol v2 endpoint
 * {@code http[s]://host:port/v2/models/NAME} (dense features in, logits or probabilities out, as
 * {@code distill serve} provides).
 */
public final class AuditedModels {

    private AuditedModels() {}

    /**
     * Opens one model.
     *
     * @param spec a directory, a {@code .pt} file or an http(s) URL as above
     * @param apiKey the key for HTTP endpoints ({@link ApiKey#none()} if none)
     * @param workDir where an HTTP model keeps its journals (a subdirectory per model is used)
     * @throws IOException if the directory or file cannot be loaded; the message names it
     * @throws IllegalArgumentException if the spec is neither, naming it
     */
    public static AuditedModel open(String spec, ApiKey apiKey, Path workDir) throws IOException {
        if (spec.startsWith("http://") || spec.startsWith("https://")) {
            URI uri = URI.create(spec);
            String path = uri.getPath() == null ? "" : uri.getPath();
            int at = path.indexOf("/v2/models/");
            if (at < 0 || path.length() <= at + "/v2/models/".length()) {
                throw new IllegalArgumentException("illegal model value: '" + spec + "', an HTTP model must be an Open "
                        + "Inference Protocol v2 URL such as http://host:8080/v2/models/NAME");
            }
            String model = path.substring(at + "/v2/models/".length()).split("/")[0];
            String base = uri.getScheme() + "://" + uri.getRawAuthority() + path.substring(0, at);
            HttpTeacherConfig config = HttpTeacherConfig.builder(Protocol.V2, base, model)
                    .optApiKey(apiKey)
                    .optV2Input(HttpTeacherConfig.V2Input.FEATURES, null)
                    .build();
            String name = base + "/v2/models/" + model;
            return new HttpModel(name, config, workDir.resolve("http-" + Integer.toHexString(name.hashCode())));
        }
        Path p = Path.of(spec);
        if (Files.isDirectory(p)) {
            SavedModelTeacher t = SavedModelTeacher.load(p);
            SavedModel m = t.model();
            return new LocalModel(
                    p.toString(),
                    t,
                    m.descriptor().classNames(),
                    m.descriptor().featureShape(),
                    m.descriptor().textFeatures());
        }
        if (Files.isRegularFile(p)) {
            return new LocalModel(p.toString(), TorchScriptTeacher.load(p), null, null);
        }
        throw new IllegalArgumentException("illegal model value: '" + spec + "' is neither a model directory, a "
                + "TorchScript file nor an http(s)://host/v2/models/NAME URL");
    }
}
