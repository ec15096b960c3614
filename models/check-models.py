#!/usr/bin/python3
"""Independent check of the shipped ONNX files with the reference implementation of the format:
Debian's python3-onnx (apt-get install python3-onnx; 1.12 on Debian 12). Not needed by the tests.

    /usr/bin/python3 models/check-models.py
"""
import pathlib

import onnx

HERE = pathlib.Path(__file__).parent
for path in sorted(HERE.glob("*.onnx")):
    m = onnx.load(str(path))
    onnx.checker.check_model(m, full_check=True)  # schema, types and shape inference
    ins = [(i.name, onnx.TensorProto.DataType.Name(i.type.tensor_type.elem_type)) for i in m.graph.input]
    outs = [o.name for o in m.graph.output]
    meta = {p.key: p.value for p in m.metadata_props}
    print(f"{path.name}: ok (ir {m.ir_version}, opset {m.opset_import[0].version}) inputs {ins} outputs {outs} metadata {meta}")
