"""The Legendre Memory Unit cell as a nengo network, learning online."""

import inspect
from collections.abc import Mapping

import nengo
import numpy as np
import scipy.signal
from nengo.exceptions import ValidationError
from nengo.params import Default

from nengo_lmu.discretize import as_loop_synapse, loop_transfer_function
from nengo_lmu.networks.memory import LegendreMemory
from nengo_lmu.realize import legendre_realization
from nengo_lmu.sequence import CELL_WEIGHT_SHAPES, evaluate_cell
from nengo_lmu.validation import (
    IntegerParam,
    PositiveParam,
    check_bool,
    check_instance,
    check_integer,
    check_matrix,
    check_seed,
)

# Each normalised input dimension of the hidden layer has unit rms, so a unit
# encoder's projection has unit rms whatever the dimension; dividing by this radius
# puts +-2.5 standard deviations at the neurons' +-1 range (B3 with PES measured
# the same NRMSE, 0.084, for radii from 2.1 to 2.8, and 0.26 at 5.7).
HIDDEN_RADIUS = 2.5

# Hidden activities computed at a time by `LMU.predict` and `LMU.fit` (values).
ACTIVITY_CHUNK_SIZE = 2**23


class LMU(nengo.Network):
    r"""A Legendre Memory Unit: a Legendre memory coupled to a hidden layer.

    The cell of Voelker, Kajić and Eliasmith (2019), one step per simulator time
    step:

    .. math::

        u[k] &= e_x x[k] + e_h h[k-1] + e_m m[k-1] \\
        m[k] &= A_d m[k-1] + B_d u[k] \\
        h[k] &= f(W_m m[k] + W_x x[k] + W_h h[k-1] + b) \\
        y[k] &= W_y h[k]

    The memory :math:`m` holds ``memory_d`` channels, each a `LegendreMemory` of
    ``order`` coefficients over a window ``theta`` (exact if ``memory_neurons`` is
    None, otherwise neural with that many neurons per dimension). The terms with
    :math:`e_h`, :math:`e_m`, :math:`W_x` and :math:`W_h` exist only when
    ``hidden_to_memory``, ``memory_to_memory``, ``input_to_hidden`` and
    ``hidden_to_hidden`` are set. The hidden layer :math:`h` is the activity of
    ``n_hidden`` neurons of ``neuron_type`` (rate or spiking), which implement
    :math:`f`; the kernels act on their input currents.

    **Initialisation.** Arrays given for ``encoders`` or ``kernels`` are used as
    they are. Otherwise :math:`e_x` is an identity (or uniform) map of the input
    onto the memory channels, :math:`e_h, e_m, W_h` are zero, and :math:`W_m,
    W_x, b` are nengo's own NEF initialisation made explicit: each hidden neuron
    gets a random unit encoder over the memory state normalised to unit rms per
    dimension and decorrelated (the memory's balanced realisation, `realize`,
    for input of rms ``radius / 2`` band-limited to ``1 / theta`` Hz), with gain
    and bias from its maximum rate (200 to 400 Hz) and intercept (-0.5 to 0.5,
    matched to the spread of the projections), so that the hidden
    layer sees its input spread over its neurons' range whatever the neuron type
    or memory scale.

    **Learning.** The output :math:`y` (``size_out`` dimensions) is a connection
    from the hidden neurons, with weights :math:`W_y` (zero unless given in
    ``kernels["output"]``) learned online by ``learning_rule_type`` (for example
    ``nengo.PES()`` or ``nengo.RLS()``, or a list of rules). Feed ``error`` with
    *actual - target* (nengo's convention). To switch learning off, stop the
    error: feed it through a gate, such as a Node that multiplies it by 0 or 1,
    or inhibit the ensemble that computes it. With the default initialisation
    and 500 to 1000 spiking hidden neurons, ``PES`` learning rates up to about
    ``3e-4`` were stable (``2e-4`` learns a 0.5 s delay to NRMSE 0.07 in 80 s;
    ``benchmarks/online_learning.py``); ``5e-4`` diverged with 500 neurons.

    Parameters
    ----------
    theta : float
        Length of the memory window in seconds (> 0).
    order : int
        Legendre coefficients per memory channel (>= 1).
    n_hidden : int
        Number of hidden neurons (>= 1).
    size_in : int, optional
        Input dimensions (>= 1).
    memory_d : int, optional
        Memory channels (>= 1).
    size_out : int or None, optional
        Output dimensions (>= 1); None makes ``output`` the hidden activities.
    neuron_type : nengo.neurons.NeuronType, optional
        Neuron type of the hidden layer (nengo's default: LIF). ``nengo.Direct()``
        makes the hidden layer linear and exact: a Node instead of neurons
        (:math:`f` is the identity; it cannot learn online).
    memory_neurons : int or None, optional
        Neurons per memory dimension; None for the exact memory.
    hidden_to_memory, memory_to_memory, input_to_hidden, hidden_to_hidden : bool
        Which optional connections of the cell to include.
    learning_rule_type : nengo.learning_rules.LearningRuleType or list, optional
        Rule(s) learning the output weights; requires ``size_out``.
    encoders : dict, optional
        Arrays for ``"input"`` (:math:`e_x`, (memory_d, size_in)), ``"bias"`` (a
        constant added to :math:`u`, (memory_d,); none by default), ``"hidden"``
        (:math:`e_h`, (memory_d, n_hidden)) and ``"memory"`` (:math:`e_m`,
        (memory_d, memory_d * order)).
    kernels : dict, optional
        Arrays for ``"memory"`` (:math:`W_m`, (n_hidden, memory_d * order)),
        ``"input"`` (:math:`W_x`, (n_hidden, size_in)), ``"hidden"``
        (:math:`W_h`, (n_hidden, n_hidden)), ``"bias"`` (:math:`b`, (n_hidden,))
        and ``"output"`` (:math:`W_y`, (size_out, n_hidden)).
    radius : float, optional
        Expected magnitude of the input (> 0), for the default kernels and the
        neural memory.
    synapse : nengo.synapses.Synapse or float or None, optional
        Synapse of the connections carrying the hidden activities (to the output,
        to the memory and to itself) and the memory feedback. By default None for
        rate neurons, which is exact (with the one-step delays of the cell), and
        ``Lowpass(0.01)`` for spiking neurons, whose spikes need smoothing.
    dt : float, optional
        Simulator time step the network is built for, in seconds (> 0); the
        memory refuses a simulator with another.
    discretizer : {"zoh", "euler", "bilinear"}, optional
        How the memory is discretised (see `LegendreMemory`).
    memory_kwargs : dict, optional
        Further arguments of the `LegendreMemory`, such as ``neuron_type``,
        ``synapse``, ``input_process``, ``solver``, ``loop`` and
        ``min_coupling`` for a neural memory (the arguments the LMU sets itself
        are refused here).
    **kwargs
        Passed to `nengo.Network` (``label``, ``seed``, ``add_to_container``).

    Attributes
    ----------
    input : nengo.Node
        The input :math:`x`.
    output : nengo.Node
        The output :math:`y` (the hidden activities if ``size_out`` is None).
    memory : LegendreMemory
        The memory.
    hidden : nengo.Ensemble or nengo.Node
        The hidden neurons (their input currents are the kernels' sum); a Node
        for ``neuron_type=nengo.Direct()``.
    neuron_type : nengo.neurons.NeuronType
        The hidden layer's neuron type.
    synapse : nengo.LinearFilter or None
        The synapse of the connections carrying the hidden activities.
    encoders, kernels : dict
        The weights in use, as the ``encoders`` and ``kernels`` arguments take
        them (copies): ``LMU(..., encoders=lmu.encoders, kernels=lmu.kernels)``
        builds the same cell, for example on other neurons.
    error : nengo.Node or None
        Error input of the learning rules (*actual - target*); None without
        learning.
    weight_connections : dict
        The connections of the cell by the name of their weights: ``"e_x"``,
        ``"e_h"``, ``"e_m"``, ``"W_m"``, ``"W_x"``, ``"W_h"`` and ``"W_y"``. Those
        into ``hidden.neurons`` carry the kernels divided by ``hidden.gain``,
        since nengo multiplies the input of neurons by their gain.

    Examples
    --------
    Learn to delay the input by half a second, online:

    >>> import nengo
    >>> with nengo.Network(seed=0) as model:
    ...     stim = nengo.Node(nengo.processes.WhiteSignal(10, high=2, rms=0.3))
    ...     lmu = LMU(theta=1.0, order=8, n_hidden=200, size_out=1,
    ...               neuron_type=nengo.RectifiedLinear(),
    ...               learning_rule_type=nengo.PES(1e-3))
    ...     _ = nengo.Connection(stim, lmu.input, synapse=None)
    ...     target = nengo.Node(size_in=1)
    ...     _ = nengo.Connection(stim, target, synapse=0.5)  # a stand-in target
    ...     _ = nengo.Connection(lmu.output, lmu.error, synapse=None)
    ...     _ = nengo.Connection(target, lmu.error, transform=-1, synapse=None)
    >>> lmu.hidden.n_neurons, lmu.output.size_out
    (200, 1)
    """

    theta = PositiveParam("theta")
    order = IntegerParam("order", low=1)
    n_hidden = IntegerParam("n_hidden", low=1)
    size_in = IntegerParam("size_in", low=1)
    memory_d = IntegerParam("memory_d", low=1)
    size_out = IntegerParam("size_out", low=1, optional=True)
    radius = PositiveParam("radius")
    dt = PositiveParam("dt")

    def __init__(
        self,
        theta,
        order,
        n_hidden,
        size_in=1,
        memory_d=1,
        size_out=None,
        neuron_type=Default,
        memory_neurons=None,
        hidden_to_memory=False,
        memory_to_memory=False,
        input_to_hidden=False,
        hidden_to_hidden=False,
        learning_rule_type=None,
        encoders=None,
        kernels=None,
        radius=1.0,
        synapse=Default,
        dt=0.001,
        discretizer="zoh",
        memory_kwargs=None,
        **kwargs,
    ):
        kwargs.setdefault("label", "LMU")
        super().__init__(**kwargs)
        self.theta = theta
        self.order = order
        self.n_hidden = n_hidden
        self.size_in = size_in
        self.memory_d = memory_d
        self.size_out = size_out
        self.radius = radius
        self.dt = dt
        check_seed(self.seed, obj=self)
        if neuron_type is not Default:
            check_instance(
                neuron_type,
                "neuron_type",
                nengo.neurons.NeuronType,
                "a nengo NeuronType instance",
                obj=self,
            )
        if memory_neurons is not None:
            check_integer(memory_neurons, "memory_neurons", low=1, obj=self)
        options = {
            name: check_bool(value, name, obj=self)
            for name, value in dict(
                hidden_to_memory=hidden_to_memory,
                memory_to_memory=memory_to_memory,
                input_to_hidden=input_to_hidden,
                hidden_to_hidden=hidden_to_hidden,
            ).items()
        }
        for name, value in dict(encoders=encoders, kernels=kernels).items():
            if value is not None:
                check_instance(
                    value,
                    name,
                    Mapping,
                    "None or a mapping of names to arrays",
                    obj=self,
                )
        memory_kwargs = {} if memory_kwargs is None else memory_kwargs
        check_instance(
            memory_kwargs,
            "memory_kwargs",
            Mapping,
            "None or a mapping of LegendreMemory arguments",
            obj=self,
        )
        memory_args = dict(
            theta=self.theta,
            order=self.order,
            size_in=self.memory_d,
            n_neurons=memory_neurons,
            dt=self.dt,
            radius=self.radius,
            discretizer=discretizer,
            label="memory",
        )
        accepted = set(inspect.signature(LegendreMemory).parameters) | {"seed"}
        accepted -= {"kwargs", *memory_args}
        refused = sorted(set(memory_kwargs) - accepted, key=str)
        if refused:
            raise ValidationError(
                f"has keys {refused} that the LMU sets itself or LegendreMemory "
                f"does not take (accepted: {sorted(accepted)})",
                attr="memory_kwargs",
                obj=self,
            )
        if learning_rule_type is not None and self.size_out is None:
            raise ValidationError(
                "needs size_out: the learning rules learn the output weights, and "
                "with size_out=None the output is the hidden activities, which "
                "have no weights to learn",
                attr="learning_rule_type",
                obj=self,
            )
        self.weight_connections = {}
        rng = np.random.RandomState(0 if self.seed is None else self.seed)
        if neuron_type is Default:
            neuron_type = nengo.Config.default(nengo.Ensemble, "neuron_type")
        self.linear_hidden = isinstance(neuron_type, nengo.Direct)
        if learning_rule_type is not None and self.linear_hidden:
            raise ValidationError(
                "needs hidden neurons: with neuron_type=Direct() the hidden layer "
                "is a Node, and nengo learns only on connections from neurons",
                attr="learning_rule_type",
                obj=self,
            )
        if synapse is Default:
            synapse = nengo.Lowpass(0.01) if neuron_type.spiking else None
        self.synapse = None if synapse is None else as_loop_synapse(synapse)
        recurrent_synapse = self.synapse or nengo.Lowpass(0)

        with self:
            self.input = nengo.Node(size_in=self.size_in, label="input")
            self.memory = LegendreMemory(**memory_args, **memory_kwargs)
            weights = self._weights(
                encoders,
                kernels,
                neuron_type,
                options,
                rng,
            )
            gain = weights.pop("gain")
            if self.linear_hidden:
                self.hidden = nengo.Node(size_in=self.n_hidden, label="hidden")
                hidden_neurons = self.hidden
            else:
                self.hidden = nengo.Ensemble(
                    self.n_hidden,
                    1,
                    neuron_type=neuron_type,
                    gain=gain,
                    bias=weights["bias"],
                    label="hidden",
                )
                hidden_neurons = self.hidden.neurons
            needs_one = "u_bias" in weights or self.linear_hidden
            one = nengo.Node([1.0], label="one") if needs_one else None
            routes = {
                "e_x": (self.input, self.memory.input, None),
                "u_bias": (one, self.memory.input, None),
                "e_h": (hidden_neurons, self.memory.input, recurrent_synapse),
                "e_m": (self.memory.output, self.memory.input, recurrent_synapse),
                "W_m": (self.memory.output, hidden_neurons, None),
                "W_x": (self.input, hidden_neurons, None),
                "W_h": (hidden_neurons, hidden_neurons, recurrent_synapse),
            }
            if self.linear_hidden:
                routes["bias"] = (one, hidden_neurons, None)
            for name, (pre, post, connection_synapse) in routes.items():
                if name in weights:
                    transform = weights[name]
                    if pre is one and one is not None:
                        transform = transform[:, None]
                    elif post == hidden_neurons and not self.linear_hidden:
                        # nengo multiplies the input of neurons by their gain
                        transform = transform / gain[:, None]
                    self.weight_connections[name] = nengo.Connection(
                        pre, post, transform=transform, synapse=connection_synapse
                    )
            self.error = None
            if self.size_out is None:
                self.output = nengo.Node(size_in=self.n_hidden, label="output")
                nengo.Connection(hidden_neurons, self.output, synapse=self.synapse)
            else:
                self.output = nengo.Node(size_in=self.size_out, label="output")
                self.weight_connections["W_y"] = nengo.Connection(
                    hidden_neurons,
                    self.output,
                    transform=weights["W_y"],
                    synapse=self.synapse,
                    learning_rule_type=learning_rule_type,
                )
                if learning_rule_type is not None:
                    self.error = nengo.Node(size_in=self.size_out, label="error")
                    rules = self.weight_connections["W_y"].learning_rule
                    for rule in rules if isinstance(rules, list) else [rules]:
                        nengo.Connection(self.error, rule, synapse=None)
        self.neuron_type = neuron_type
        self._cell_weights = weights

    @property
    def encoders(self):
        """dict: The encoders as the ``encoders`` argument takes them."""
        return self._arguments("encoders")

    @property
    def kernels(self):
        """dict: The kernels as the ``kernels`` argument takes them (with
        ``"output"`` as learned by `fit`, not online)."""
        return self._arguments("kernels")

    def _arguments(self, group):
        return {
            key: self._cell_weights[name].copy()
            for name, (source, key) in _SOURCES.items()
            if source == group and name in self._cell_weights
        }

    def predict(self, inputs):
        """The outputs of the network for whole input sequences, in numpy.

        A reference computation of what the network computes with non-spiking
        neurons: the cell equations (`evaluate_cell`) with the hidden layer's rate
        function, the memory's `~LegendreMemory.lag`, and the synapses of the
        recurrent and output connections in discrete time. Step ``k`` of the
        result is what a probe on ``output`` records at step ``k`` (time
        ``(k + 1) * dt``) when ``inputs[i, k]`` is presented at that step with
        ``synapse=None`` (for example by
        ``nengo.processes.PresentInput(inputs[i], dt)``): the constant lag
        between the two is 0 steps. The exact memory and rate neurons give the
        same outputs to rounding error; a neural memory adds its neurons'
        error, and spiking neurons their spike noise around these rates. Online
        learning is not modelled: the outputs use the current output weights.

        Parameters
        ----------
        inputs : (n_seqs, n_steps, size_in) array_like
            Input sequences, one row per simulator time step.

        Returns
        -------
        outputs : (n_seqs, n_steps, size_out) ndarray
            The output at every step (the hidden activities if ``size_out`` is
            None).

        Examples
        --------
        >>> import nengo
        >>> lmu = LMU(theta=0.05, order=4, n_hidden=20, size_out=1,
        ...           neuron_type=nengo.RectifiedLinear(), seed=0)
        >>> lmu.predict(np.ones((3, 100, 1))).shape
        (3, 100, 1)
        """
        inputs = check_matrix(inputs, "inputs", (None, None, self.size_in), obj=self)
        activities = self._activities(inputs)
        if self.size_out is None:
            return activities
        return activities @ self._cell_weights["W_y"].T

    def fit(self, inputs, targets, solver=None):
        """Solve the output weights offline from sequences, and install them.

        Computes the hidden activities that the output connection carries (with
        `predict`'s reference computation) and solves for the weights that map
        them onto ``targets`` with a nengo solver. The weights become the output
        connection's transform, so simulating the network reproduces the fitted
        outputs (exactly with non-spiking neurons and the exact memory). Call it
        before building a Simulator: a simulator built earlier keeps the old
        weights.

        Parameters
        ----------
        inputs : (n_seqs, n_steps, size_in) array_like
            Input sequences, one row per simulator time step.
        targets : (n_seqs, n_steps, size_out) or (n_seqs, size_out) array_like
            Target outputs at every step, or at the last step only.
        solver : nengo.solvers.Solver, optional
            Solver for the weights (``nengo.solvers.LstsqL2()`` by default; its
            regularisation is relative to the largest activity). Must solve
            decoders (``weights=False``).

        Returns
        -------
        info : dict
            The solver's information (for example ``"rmses"``, the rms error of
            each output dimension on the training data).

        Examples
        --------
        Fit the network to delay its input by 20 steps:

        >>> import nengo
        >>> lmu = LMU(theta=0.05, order=8, n_hidden=100, size_out=1,
        ...           neuron_type=nengo.RectifiedLinear(), seed=0)
        >>> rng = np.random.default_rng(0)
        >>> inputs = rng.standard_normal((20, 200, 1)).cumsum(axis=1) * 0.05
        >>> targets = np.zeros_like(inputs)
        >>> targets[:, 20:] = inputs[:, :-20]
        >>> info = lmu.fit(inputs, targets)
        >>> bool(np.sqrt(np.mean((lmu.predict(inputs) - targets) ** 2))
        ...      < 0.2 * np.std(targets))
        True
        """
        if self.memory._built:
            raise ValidationError(
                "was called after a Simulator was built from this network; that "
                "simulator would keep the old output weights: call fit before "
                "building a Simulator",
                attr="fit",
                obj=self,
            )
        if self.size_out is None:
            raise ValidationError(
                "must be set to fit output weights (with size_out=None the output "
                "is the hidden activities, which have no weights)",
                attr="size_out",
                obj=self,
            )
        inputs = check_matrix(inputs, "inputs", (None, None, self.size_in), obj=self)
        try:
            last_step_only = np.ndim(targets) == 2
        except ValueError:  # ragged; check_matrix says what is expected
            last_step_only = False
        if last_step_only:
            targets = check_matrix(
                targets, "targets", (len(inputs), self.size_out), obj=self
            )
        else:
            targets = check_matrix(
                targets, "targets", inputs.shape[:2] + (self.size_out,), obj=self
            )
        solver = nengo.solvers.LstsqL2() if solver is None else solver
        if not isinstance(solver, nengo.solvers.Solver) or solver.weights:
            raise ValidationError(
                f"must be a nengo Solver of decoders, weights=False (got {solver!r})",
                attr="solver",
                obj=self,
            )
        activities = self._activities(inputs, last_step_only=last_step_only)
        decoders, info = solver(
            activities.reshape(-1, self.n_hidden), targets.reshape(-1, self.size_out)
        )
        self._cell_weights["W_y"] = decoders.T
        self.weight_connections["W_y"].transform = decoders.T
        return info

    def _activities(self, inputs, last_step_only=False):
        """Hidden activities as the output connection delivers them."""
        n_seqs, n_steps, _ = inputs.shape
        feedback = loop_transfer_function(self.synapse or nengo.Lowpass(0), self.dt)
        cell_weights = {
            name: value
            for name, value in self._cell_weights.items()
            if name in CELL_WEIGHT_SHAPES
        }
        if self.synapse is not None:
            num, den = loop_transfer_function(self.synapse, self.dt)
            num = np.concatenate([np.zeros(len(den) - len(num)), num])
        chunk = max(1, ACTIVITY_CHUNK_SIZE // (n_steps * self.n_hidden))
        activities = []
        for start in range(0, n_seqs, chunk):
            hidden, _ = evaluate_cell(
                inputs[start : start + chunk],
                self.memory.Ad,
                self.memory.Bd,
                cell_weights,
                self._rates,
                feedback=feedback,
                memory_delay=self.memory.lag,
            )
            if self.synapse is not None:
                hidden = scipy.signal.lfilter(num, den, hidden, axis=1)
            activities.append(hidden[:, -1] if last_step_only else hidden)
        return np.concatenate(activities)

    def _rates(self, currents):
        """The hidden layer's activation: its neurons' rates for ``currents``."""
        if self.linear_hidden:
            return currents
        flat = currents.reshape(-1, self.n_hidden)
        ones, zeros = np.ones(self.n_hidden), np.zeros(self.n_hidden)
        return self.neuron_type.rates(flat, ones, zeros).reshape(currents.shape)

    @classmethod
    def from_keras(cls, layer, dt=0.001, neuron_type=None, **kwargs):
        """An LMU computing what a trained KerasLMU layer computes.

        See `nengo_lmu.interop.keras.lmu_from_keras`, which this calls.
        """
        from nengo_lmu.interop.keras import (  # pylint: disable=import-outside-toplevel
            lmu_from_keras,
        )

        return lmu_from_keras(layer, dt=dt, neuron_type=neuron_type, **kwargs)

    def _weights(self, encoders, kernels, neuron_type, options, rng):
        """The cell's weight arrays: given ones checked, the others initialised."""
        encoders = {} if encoders is None else dict(encoders)
        kernels = {} if kernels is None else dict(kernels)
        memory_size = self.memory_d * self.order
        shapes = {
            "e_x": (self.memory_d, self.size_in),
            "u_bias": (self.memory_d,),
            "e_h": (self.memory_d, self.n_hidden),
            "e_m": (self.memory_d, memory_size),
            "W_m": (self.n_hidden, memory_size),
            "W_x": (self.n_hidden, self.size_in),
            "W_h": (self.n_hidden, self.n_hidden),
            "bias": (self.n_hidden,),
            "W_y": (self.size_out or 0, self.n_hidden),
        }
        arrays = {"encoders": encoders, "kernels": kernels}
        given = {
            name: arrays[group].pop(key, None)
            for name, (group, key) in _SOURCES.items()
        }
        for name, unknown in arrays.items():
            if unknown:
                raise ValidationError(
                    f"has unknown keys {sorted(unknown)}", attr=name, obj=self
                )
        included = {name: options[option] for name, option in _OPTION_OF.items()}
        weights = {}
        for name, shape in shapes.items():
            group, key = _SOURCES[name]
            attr = f"{group}[{key!r}]"
            if not included.get(name, True):
                if given[name] is not None:
                    raise ValidationError(
                        f"is given, but {_OPTION_OF[name]}=False", attr=attr, obj=self
                    )
                continue
            if given[name] is not None:
                weights[name] = check_matrix(given[name], attr, shape, obj=self)
        # The sampled kernels need the memory's realisation: skip both when given.
        sampled = {"W_m", "W_x"} if included["W_x"] else {"W_m"}
        initial = self._initial_weights(
            neuron_type, included, rng, sample_kernels=not sampled <= set(weights)
        )
        if "bias" in weights:
            # The connections into `neurons` are divided by the gain (nengo
            # multiplies by it), so any gain gives the same currents; this one
            # keeps the max_rates and intercepts nengo reports finite.
            initial["gain"] = np.abs(1 - weights["bias"]) + 2
        weights.update(
            {
                name: value
                for name, value in initial.items()
                if name not in weights and included.get(name, True)
            }
        )
        return weights

    def _initial_weights(self, neuron_type, included, rng, sample_kernels=True):
        memory_size = self.memory_d * self.order
        input_size = memory_size + (self.size_in if included["W_x"] else 0)
        # 200 to 400 Hz, or up to 95% of the rate limit of types that have one
        tau_ref = getattr(neuron_type, "tau_ref", 0)
        top_rate = min(400, 0.95 / tau_ref) if tau_ref > 0 else 400
        max_rates = nengo.dists.Uniform(top_rate / 2, top_rate).sample(
            self.n_hidden, rng=rng
        )
        intercepts = nengo.dists.Uniform(-0.5, 0.5).sample(self.n_hidden, rng=rng)
        if self.linear_hidden:
            gain, bias = np.ones(self.n_hidden), np.zeros(self.n_hidden)
        else:
            gain, bias = neuron_type.gain_bias(max_rates, intercepts)
        if self.memory_d == self.size_in:
            input_encoders = np.eye(self.memory_d)
        else:
            input_encoders = np.ones((self.memory_d, self.size_in)) / self.size_in
        weights = dict(
            e_x=input_encoders,
            e_h=np.zeros((self.memory_d, self.n_hidden)),
            e_m=np.zeros((self.memory_d, memory_size)),
            W_h=np.zeros((self.n_hidden, self.n_hidden)),
            gain=gain,
            bias=bias,
            W_y=np.zeros((self.size_out or 0, self.n_hidden)),
        )
        if not sample_kernels:
            return weights
        encoders = nengo.dists.ScatteredHypersphere(surface=True).sample(
            self.n_hidden, input_size, rng=rng
        )
        kernels = gain[:, None] * encoders / HIDDEN_RADIUS

        # Normalise each memory channel's state to unit rms, the input by radius.
        _, T_inv = legendre_realization(self.order, self.radius / 2)
        normalise = np.kron(np.eye(self.memory_d), T_inv)
        weights["W_m"] = kernels[:, :memory_size] @ normalise
        if included["W_x"]:
            weights["W_x"] = kernels[:, memory_size:] / (self.radius / 2)
        return weights


# Where each weight comes from in the constructor's arguments.
_SOURCES = {
    "e_x": ("encoders", "input"),
    "u_bias": ("encoders", "bias"),
    "e_h": ("encoders", "hidden"),
    "e_m": ("encoders", "memory"),
    "W_m": ("kernels", "memory"),
    "W_x": ("kernels", "input"),
    "W_h": ("kernels", "hidden"),
    "bias": ("kernels", "bias"),
    "W_y": ("kernels", "output"),
}

# The weights that exist only when their option is set.
_OPTION_OF = {
    "e_h": "hidden_to_memory",
    "e_m": "memory_to_memory",
    "W_x": "input_to_hidden",
    "W_h": "hidden_to_hidden",
}
