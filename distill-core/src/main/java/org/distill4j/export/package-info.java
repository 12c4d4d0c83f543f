/**
 * Export of distill4j models to formats that other runtimes load without distill4j: ONNX (written
 * here as protobuf, no ONNX library needed) and TorchScript, plus the sidecar that says how text
 * becomes a model's input. See docs/export.md.
 */
package org.distill4j.export;
