package org.distill4j.export;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.distill4j.model.Activation;
import org.distill4j.model.BagSpec;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.SavedModel;

/**
 * Writes a distill4j model as a TorchScript archive, the zip that {@code torch.jit.save} writes
 * and libtorch compiles at load: {@code code/__torch__.py} (one module class whose forward is a
 * chain of aten ops: linear, conv2d, batch_norm, max_pool2d, flatten, activations, and the
 * embedding bag as embedding + masked mean), {@code data.pkl} (the module object, its tensors as
 * persistent ids of the storages under {@code data/}), {@code constants.pkl} and {@code version}.
 * Inference mode, like the ONNX export: no dropout, batch norm with running statistics. DJL's
 * PyTorch engine cannot script a DJL block, hence this generator; it emits the same source form
 * {@code torch.jit.script(...).code} prints for such a module.
 */
final class TorchScriptExporter {

    private static final String ARCHIVE = "model";
    private static final String CLASS = "DistillExport";
    /** The TorchScript file-format version written; libtorch reads versions up to its own. */
    private static final String FILE_VERSION = "3";

    private final LayerParameters params;
    private final List<String> names = new ArrayList<>();
    private final List<NDArray> tensors = new ArrayList<>();
    private final List<Boolean> buffers = new ArrayList<>();
    private final StringBuilder body = new StringBuilder();
    private int counter;

    private TorchScriptExporter(SavedModel model) {
        this.params = new LayerParameters(model.model().getBlock(), model.spec());
    }

    static byte[] toTorchScript(SavedModel model, Map<String, String> metadata) {
        TorchScriptExporter e = new TorchScriptExporter(model);
        ModelSpec spec = model.spec();
        String x = "input";
        if (spec instanceof MlpSpec mlp) {
            x = e.line("torch.flatten(" + x + ", 1)");
            x = e.dense(x, mlp.hidden(), mlp.activation());
        } else if (spec instanceof CnnSpec cnn) {
            for (int i = 0; i < cnn.channels().size(); i++) {
                Map<String, NDArray> c = e.params.next(Conv2d.class);
                int p = cnn.kernel() / 2;
                x = e.line("torch.conv2d(" + x + ", " + e.tensor(c, "weight", false) + ", " + e.tensor(c, "bias", false)
                        + ", [1, 1], [" + p + ", " + p + "])");
                if (cnn.batchNorm()) {
                    Map<String, NDArray> b = e.params.next(BatchNorm.class);
                    x = e.line("torch.batch_norm(" + x + ", " + e.tensor(b, "gamma", false) + ", "
                            + e.tensor(b, "beta", false) + ", " + e.tensor(b, "runningMean", true) + ", "
                            + e.tensor(b, "runningVar", true) + ", False, 0.10000000000000001, "
                            + "1.0000000000000001e-05, False)");
                }
                x = e.activation(x, cnn.activation());
                if (cnn.pool() > 1) {
                    int k = cnn.pool();
                    x = e.line("torch.max_pool2d(" + x + ", [" + k + ", " + k + "], [" + k + ", " + k
                            + "], [0, 0], [1, 1], False)");
                }
            }
            x = e.line("torch.flatten(" + x + ", 1)");
            x = e.dense(x, cnn.dense(), cnn.activation());
        } else if (spec instanceof BagSpec bag) {
            String table = e.tensor(e.params.next(null), "embedding", false);
            // Same steps as org.distill4j.model.EmbeddingBag; dtype 4 = int64, 6 = float32.
            String ids = e.line("torch.to(" + x + ", 4)");
            String mask = e.line("torch.to(torch.gt(" + ids + ", 0), 6)");
            String rows = e.line("torch.remainder(torch.clamp(torch.sub(" + ids + ", 1), 0), " + bag.buckets() + ")");
            String vectors = e.line("torch.embedding(" + table + ", " + rows + ")");
            String sum = e.line("torch.sum(torch.mul(" + vectors + ", torch.unsqueeze(" + mask + ", 2)), [1])");
            String count = e.line("torch.clamp(torch.sum(" + mask + ", [1], True), 1.)");
            x = e.line("torch.div(" + sum + ", " + count + ")");
            x = e.dense(x, bag.hidden(), bag.activation());
        } else {
            throw new IllegalArgumentException("cannot export architecture " + spec.describe()
                    + ": export supports the built-in mlp, cnn and bag specs");
        }
        x = e.linear(x);
        e.params.finish();
        e.body.append("    return ").append(x).append("\n");
        return e.archive(metadata);
    }

    private String dense(String x, List<Integer> widths, Activation activation) {
        for (int ignored : widths) {
            x = activation(linear(x), activation);
        }
        return x;
    }

    private String linear(String x) {
        Map<String, NDArray> p = params.next(Linear.class);
        return line("torch.linear(" + x + ", " + tensor(p, "weight", false) + ", " + tensor(p, "bias", false) + ")");
    }

    private String activation(String x, Activation a) {
        // torch.gelu's default is the exact (erf) form, as DJL's gelu on PyTorch.
        return line("torch." + a.id() + "(" + x + ")");
    }

    /** Appends {@code v<N> = expr} to forward and returns the variable. */
    private String line(String expr) {
        String v = "v" + counter++;
        body.append("    ").append(v).append(" = ").append(expr).append("\n");
        return v;
    }

    /** Registers a tensor attribute and returns the expression reading it. */
    private String tensor(Map<String, NDArray> p, String name, boolean buffer) {
        String attr = "t" + tensors.size() + "_" + name;
        names.add(attr);
        tensors.add(LayerParameters.get(p, name));
        buffers.add(buffer);
        return "self." + attr;
    }

    private String source() {
        StringBuilder s = new StringBuilder();
        s.append("class ").append(CLASS).append("(Module):\n");
        s.append("  __parameters__ = [");
        for (int i = 0; i < names.size(); i++) {
            if (!buffers.get(i)) {
                s.append('"').append(names.get(i)).append("\", ");
            }
        }
        s.append("]\n  __buffers__ = [");
        for (int i = 0; i < names.size(); i++) {
            if (buffers.get(i)) {
                s.append('"').append(names.get(i)).append("\", ");
            }
        }
        s.append("]\n");
        for (String n : names) {
            s.append("  ").append(n).append(" : Tensor\n");
        }
        s.append("  training : bool\n");
        s.append("  def forward(self: __torch__.").append(CLASS).append(",\n    input: Tensor) -> Tensor:\n");
        s.append(body);
        return s.toString();
    }

    private byte[] dataPickle() {
        Pickle p = new Pickle()
                .global("__torch__", CLASS)
                .emptyTuple()
                .newObj()
                .emptyDict()
                .mark();
        for (int i = 0; i < names.size(); i++) {
            long[] shape = tensors.get(i).getShape().getShape();
            p.string(names.get(i)).global("torch._utils", "_rebuild_tensor_v2").mark();
            p.mark()
                    .string("storage")
                    .global("torch", "FloatStorage")
                    .string(Integer.toString(i))
                    .string("cpu")
                    .integer(tensors.get(i).size())
                    .tuple()
                    .persistentId();
            p.integer(0).mark();
            for (long d : shape) {
                p.integer(d);
            }
            p.tuple().mark();
            long stride = 1;
            long[] strides = new long[shape.length];
            for (int k = shape.length - 1; k >= 0; k--) {
                strides[k] = stride;
                stride *= shape[k];
            }
            for (long st : strides) {
                p.integer(st);
            }
            // requires_grad as torch.jit.save writes it: true for parameters, false for buffers.
            p.tuple()
                    .bool(!buffers.get(i))
                    .global("collections", "OrderedDict")
                    .emptyTuple()
                    .reduce()
                    .tuple()
                    .reduce();
        }
        p.string("training").bool(false);
        return p.setItems().build().stop();
    }

    private byte[] archive(Map<String, String> metadata) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            stored(zip, "data.pkl", dataPickle());
            stored(zip, "code/__torch__.py", source().getBytes(StandardCharsets.UTF_8));
            stored(zip, "constants.pkl", new Pickle().emptyTuple().stop());
            for (int i = 0; i < tensors.size(); i++) {
                stored(zip, "data/" + i, Proto.littleEndian(tensors.get(i).toFloatArray()));
            }
            // torch.jit.load(..., _extra_files={"distill4j.json": ""}) and DJL can read these.
            stored(
                    zip,
                    "extra/distill4j.json",
                    new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(metadata));
            stored(zip, "version", (FILE_VERSION + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Writes an uncompressed entry (libtorch reads stored records; torch.jit.save writes them so). */
    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry(ARCHIVE + "/" + name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        entry.setCrc(crc.getValue());
        entry.setTime(315532800000L); // 1980-01-01, the zip epoch: identical models give identical bytes
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }
}
