# `pgoracle hunt` candidate in Julia (NOT RUN: Julia is not installed on the machine the docs were
# written on). Needs the JSON3 package. Replace scale_gradient by the function under test.
#   pgoracle hunt --operation scale_gradient --timeout 120 --candidate 'julia tools/hunt/scale_gradient.jl'
using JSON3, LinearAlgebra

scale_gradient(g, l2max) = (n = norm(g); n > 0 ? g .* min(l2max / n, one(n)) : g)

parse_num(x::AbstractString) = Dict("NaN" => NaN, "Infinity" => Inf, "-Infinity" => -Inf)[x]
parse_num(x::Number) = Float64(x)
out_num(x) = isfinite(x) ? x : (isnan(x) ? "NaN" : (x > 0 ? "Infinity" : "-Infinity"))

for line in eachline(stdin)
    case = JSON3.read(line)
    T = get(case, :scalar, "f64") == "f32" ? Float32 : Float64
    g = T[parse_num(v) for v in case.input.grad]
    out = scale_gradient(g, T(parse_num(case.input.l2_max)))
    println(JSON3.write(Dict("id" => case.id, "operation" => case.operation,
                             "output" => Dict("grad" => out_num.(Float64.(out))))))
    flush(stdout)
end
