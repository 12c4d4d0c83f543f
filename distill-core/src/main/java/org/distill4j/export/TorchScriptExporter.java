package org.distill4j.export;

import java.util.Map;
import org.distill4j.model.SavedModel;

/** Writes a distill4j model as a TorchScript archive. */
final class TorchScriptExporter {

    private TorchScriptExporter() {}

    static byte[] toTorchScript(SavedModel model, Map<String, String> metadata) {
        throw new UnsupportedOperationException("TorchScript export is not implemented yet");
    }
}
