package org.distill4j.server;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routing table: maps method and path to a handler of {@link InferenceV2} or {@link
 * ChatCompletions}, checks the API key (all but {@code /v2/health/*}; the admin key on {@code
 * /admin/*}) and the method, reads JSON
 * bodies with {@link BodyReader} (no thread waits for a slow body) and writes the answer with
 * {@link ReplyWriter}. Requests are logged at debug level (method, path, status, milliseconds),
 * never bodies or headers.
 */
final class Router extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(Router.class);

    /** A resolved endpoint: the method it allows, whether it takes a JSON body, and its handler. */
    private record Route(String method, boolean body, Endpoint endpoint) {}

    @FunctionalInterface
    private interface Endpoint {
        Reply run(JsonNode body, String client);
    }

    private final Map<String, Hosted> hosted;
    private final Map<String, LmHost> lms;
    private final BooleanSupplier started;
    private final ApiKey apiKey;
    private final BodyReader.Limits limits;
    private final java.util.function.Supplier<? extends Object> monitorStatus;

    Router(
            Map<String, Hosted> hosted,
            Map<String, LmHost> lms,
            BooleanSupplier started,
            ApiKey apiKey,
            BodyReader.Limits limits,
            java.util.function.Supplier<? extends Object> monitorStatus) {
        this.hosted = hosted;
        this.lms = lms;
        this.started = started;
        this.apiKey = apiKey;
        this.limits = limits;
        this.monitorStatus = monitorStatus;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        long start = System.nanoTime();
        String method = request.getMethod();
        String path = request.getHttpURI().getDecodedPath();
        List<String> seg = segments(path);
        Callback logged = LOG.isDebugEnabled()
                ? Callback.from(
                        callback,
                        () -> LOG.debug(
                                "{} {} -> {} in {} ms",
                                method,
                                Tensors.abbreviate(path),
                                response.getStatus(),
                                String.format(Locale.ROOT, "%.2f", (System.nanoTime() - start) / 1e6)))
                : callback;
        Route route;
        String client = null;
        try {
            if (!seg.isEmpty() && seg.get(0).equals("admin")) {
                apiKey.checkAdmin(request);
            } else if (!(seg.size() == 3
                    && seg.get(0).equals("v2")
                    && seg.get(1).equals("health"))) {
                client = apiKey.check(request);
            }
            route = route(method, path, seg);
            if (!route.method.equals(method)) {
                throw new ApiException(
                        405,
                        "method " + Tensors.abbreviate(method) + " is not allowed here; use " + route.method,
                        null,
                        "method_not_allowed");
            }
        } catch (ApiException e) {
            fail(response, e, path, errorHeaders(request, e, method, path, seg), logged);
            return true;
        }
        String who = client;
        if (!route.body) {
            run(response, path, () -> route.endpoint.run(null, who), logged);
            return true;
        }
        try {
            checkContentType(request);
        } catch (ApiException e) {
            fail(response, e, path, errorHeaders(request, e, method, path, seg), logged);
            return true;
        }
        BodyReader.read(
                request,
                limits,
                bytes -> run(response, path, () -> route.endpoint.run(parse(bytes), who), logged),
                e -> fail(response, e, path, Map.of("Connection", "close"), logged));
        return true;
    }

    /**
     * The headers a refusal before the body is read carries: Allow on a 405, WWW-Authenticate on a
     * 401, and Connection: close when the request has a body, which is left unread and so ends the
     * connection (a keep-alive client that was not told would send its next request into a closed
     * socket).
     */
    private Map<String, String> errorHeaders(
            Request request, ApiException e, String method, String path, List<String> seg) {
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        if (e.status == 405) {
            headers.put("Allow", route(method, path, seg).method);
        }
        if (e.status == 401) {
            headers.put("WWW-Authenticate", "Bearer");
        }
        if (BodyReader.hasBody(request)) {
            headers.put("Connection", "close");
        }
        return headers;
    }

    private void run(Response response, String path, java.util.function.Supplier<Reply> handler, Callback callback) {
        Reply reply;
        try {
            reply = handler.get();
        } catch (ApiException e) {
            fail(response, e, path, Map.of(), callback);
            return;
        } catch (RuntimeException e) {
            LOG.warn("{} failed", Tensors.abbreviate(path), e);
            fail(
                    response,
                    new ApiException(500, "internal error: " + e, null, "internal_error"),
                    path,
                    Map.of(),
                    callback);
            return;
        }
        ReplyWriter.write(response, reply, callback);
    }

    private static void fail(
            Response response, ApiException e, String path, Map<String, String> headers, Callback callback) {
        ReplyWriter.error(response, e, path, headers, callback);
    }

    /** The routing table. */
    private Route route(String method, String path, List<String> seg) {
        int n = seg.size();
        if (n == 2 && seg.get(0).equals("admin") && seg.get(1).equals("monitor")) {
            if (monitorStatus == null) {
                throw new ApiException(
                        404,
                        "no extraction monitor on this server: start it with --monitor log|slow|degrade",
                        null,
                        "not_found");
            }
            return get(monitorStatus::get);
        }
        if (n >= 1 && seg.get(0).equals("v2")) {
            if (n == 1) {
                return get(() -> InferenceV2.server());
            }
            if (n == 3 && seg.get(1).equals("health") && seg.get(2).equals("live")) {
                return get(InferenceV2::live);
            }
            if (n == 3 && seg.get(1).equals("health") && seg.get(2).equals("ready")) {
                return get(() -> {
                    if (!lms.values().stream().allMatch(LmHost::isRunning)) {
                        throw new ApiException(
                                503, "server is not ready (starting or shutting down)", null, "unavailable");
                    }
                    return InferenceV2.ready(started.getAsBoolean(), hosted.values());
                });
            }
            if (n >= 3 && seg.get(1).equals("models")) {
                Hosted h = model(seg.get(2));
                List<String> rest = seg.subList(3, n);
                if (rest.size() >= 2 && rest.get(0).equals("versions")) {
                    if (!rest.get(1).equals(h.model.version())) {
                        throw new ApiException(
                                404,
                                "model '" + h.model.name() + "' has no version '" + Tensors.abbreviate(rest.get(1))
                                        + "'; it serves version " + h.model.version(),
                                "version",
                                "version_not_found");
                    }
                    rest = rest.subList(2, rest.size());
                }
                if (rest.isEmpty()) {
                    return get(() -> InferenceV2.metadata(h));
                }
                if (rest.size() == 1 && rest.get(0).equals("ready")) {
                    return get(() -> InferenceV2.modelReady(started.getAsBoolean(), h));
                }
                if (rest.size() == 1 && rest.get(0).equals("infer")) {
                    return new Route(
                            "POST", true, (body, client) -> new Reply.Json(InferenceV2.infer(h, body, client)));
                }
            }
        }
        if (n >= 1 && seg.get(0).equals("v1")) {
            if (n == 2 && seg.get(1).equals("models")) {
                return get(() -> {
                    var list = ChatCompletions.models(hosted);
                    lms.values().forEach(l -> list.withArray("data").add(lmModel(l)));
                    return list;
                });
            }
            if (n == 3 && seg.get(1).equals("models") && lms.containsKey(seg.get(2))) {
                LmHost l = lms.get(seg.get(2));
                return get(() -> lmModel(l));
            }
            if (n == 3 && seg.get(1).equals("models")) {
                Hosted h = hosted.get(seg.get(2));
                if (h == null || !h.isText()) {
                    throw new ApiException(
                            404,
                            "The model '" + Tensors.abbreviate(seg.get(2))
                                    + "' does not exist or is not a text classifier",
                            "model",
                            "model_not_found");
                }
                return get(() -> ChatCompletions.model(h));
            }
            if (n == 3 && seg.get(1).equals("chat") && seg.get(2).equals("completions")) {
                return new Route("POST", true, (body, client) -> {
                    LmHost l = body.isObject() && body.path("model").isTextual()
                            ? lms.get(body.get("model").textValue())
                            : null;
                    return l != null
                            ? LmCompletions.chat(l, body, client)
                            : ChatCompletions.complete(hosted, body, client);
                });
            }
            if (n == 2 && seg.get(1).equals("completions")) {
                return new Route("POST", true, (body, client) -> LmCompletions.complete(lms, body, client));
            }
        }
        throw new ApiException(
                404,
                "no endpoint " + Tensors.abbreviate(method) + " " + Tensors.abbreviate(path)
                        + "; see /v2, /v2/models/{name}, /v2/models/{name}/infer, /v1/chat/completions, /v1/completions",
                null,
                "not_found");
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode lmModel(LmHost l) {
        var m = ModelServer.JSON.createObjectNode();
        m.put("id", l.model.name());
        m.put("object", "model");
        m.put("created", l.createdEpochSecond);
        m.put("owned_by", "distill4j");
        m.put("max_model_len", l.contextLength());
        return m;
    }

    private static Route get(java.util.function.Supplier<Object> document) {
        return new Route("GET", false, (body, client) -> new Reply.Json(document.get()));
    }

    private Hosted model(String name) {
        Hosted h = hosted.get(name);
        if (h == null) {
            throw new ApiException(
                    404,
                    "unknown model '" + Tensors.abbreviate(name) + "'; this server serves " + hosted.keySet(),
                    "model",
                    "model_not_found");
        }
        return h;
    }

    private static List<String> segments(String path) {
        List<String> seg = new ArrayList<>();
        if (path != null) {
            for (String s : path.split("/")) {
                if (!s.isEmpty()) {
                    seg.add(s);
                }
            }
        }
        return seg;
    }

    private static void checkContentType(Request request) {
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (type != null) {
            String mime = type.split(";", 2)[0].strip();
            if (!mime.equalsIgnoreCase("application/json")) {
                throw new ApiException(
                        415,
                        "Content-Type " + Tensors.abbreviate(mime)
                                + " is not supported; send a JSON body with Content-Type: application/json",
                        null,
                        "unsupported_media_type");
            }
        }
    }

    private static JsonNode parse(byte[] bytes) {
        if (bytes.length == 0) {
            throw ApiException.badRequest(null, "request body is empty; expected a JSON object");
        }
        try {
            return ModelServer.JSON.readTree(bytes);
        } catch (JsonParseException e) {
            throw ApiException.badRequest(
                    null,
                    "request body is not valid JSON: "
                            + Tensors.abbreviate(e.getOriginalMessage(), 300) + " at line "
                            + e.getLocation().getLineNr()
                            + ", column " + e.getLocation().getColumnNr());
        } catch (IOException e) {
            throw ApiException.badRequest(
                    null, "request body is not valid JSON: " + Tensors.abbreviate(e.getMessage(), 300));
        }
    }
}
